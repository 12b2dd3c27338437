//! A list that keeps its first `N` items inline and spills to the heap only beyond them, so the
//! common decision (a use paid by one or two grants, one or two reasons) allocates nothing.

/// Up to `N` items inline, the rest in a `Vec` that stays empty (and unallocated) until needed.
#[derive(Debug, Clone)]
pub struct SmallList<T: Copy, const N: usize> {
    inline: [Option<T>; N],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy, const N: usize> Default for SmallList<T, N> {
    fn default() -> Self {
        SmallList {
            inline: [None; N],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl<T: Copy, const N: usize> SmallList<T, N> {
    /// Appends `item`.
    pub fn push(&mut self, item: T) {
        if self.len < N {
            self.inline[self.len] = Some(item);
            self.len += 1;
        } else {
            self.spill.push(item);
        }
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.len + self.spill.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.inline[..self.len]
            .iter()
            .filter_map(Option::as_ref)
            .chain(self.spill.iter())
    }

    /// The first item.
    pub fn first(&self) -> Option<&T> {
        self.iter().next()
    }
}

impl<T: Copy + PartialEq, const N: usize> PartialEq for SmallList<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

#[cfg(test)]
mod tests {
    use super::SmallList;

    #[test]
    fn keeps_order_across_the_spill() {
        let mut l: SmallList<u32, 2> = SmallList::default();
        for i in 0..5 {
            l.push(i);
        }
        assert_eq!(l.iter().copied().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(l.len(), 5);
    }
}

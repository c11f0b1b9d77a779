//! An immutable list shared by many owners behind a thin pointer: 8 bytes
//! where an `Arc<[T]>` takes 16. Each post holds two (its categories and
//! its tags), in each of a million records. A leaf: the posts' terms and
//! the state's stored names are both this type, so one moves into the
//! other.

use std::sync::Arc;

#[derive(Clone)]
pub struct SharedList<T>(Arc<Box<[T]>>);

impl<T> SharedList<T> {
    /// Whether the two are one shared list, not two equal ones.
    #[cfg(test)]
    pub fn ptr_eq(&self, other: &SharedList<T>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Default for SharedList<T> {
    fn default() -> SharedList<T> {
        SharedList(Arc::new(Box::default()))
    }
}

impl<T> std::ops::Deref for SharedList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::borrow::Borrow<[T]> for SharedList<T> {
    fn borrow(&self) -> &[T] {
        &self.0
    }
}

impl<T: PartialEq> PartialEq for SharedList<T> {
    fn eq(&self, other: &SharedList<T>) -> bool {
        self[..] == other[..]
    }
}

impl<T: Eq> Eq for SharedList<T> {}

/// As the slice hashes, so that a set of lists can be asked with a slice.
impl<T: std::hash::Hash> std::hash::Hash for SharedList<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self[..].hash(state);
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SharedList<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self[..].fmt(f)
    }
}

impl<T> FromIterator<T> for SharedList<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> SharedList<T> {
        SharedList(Arc::new(iter.into_iter().collect()))
    }
}

impl<T> From<Vec<T>> for SharedList<T> {
    fn from(list: Vec<T>) -> SharedList<T> {
        SharedList(Arc::new(list.into_boxed_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_one_pointer_and_compares_and_hashes_as_its_slice() {
        assert_eq!(size_of::<SharedList<Arc<str>>>(), size_of::<usize>());
        let list: SharedList<Arc<str>> = vec!["a".into(), "b".into()].into();
        let same: SharedList<Arc<str>> = ["a", "b"].into_iter().map(Arc::from).collect();
        assert_eq!(list, same);
        assert_ne!(list, SharedList::default());
        let mut set = std::collections::HashSet::new();
        set.insert(list.clone());
        let asked: &[Arc<str>] = &["a".into(), "b".into()];
        assert!(set.get(asked).is_some_and(|found| found.ptr_eq(&list)));
        assert!(!same.ptr_eq(&list));
        assert_eq!(list.len(), 2);
        assert_eq!(&*list[1], "b");
    }
}

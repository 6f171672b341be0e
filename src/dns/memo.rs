//! A bounded map from byte strings to values, for remembering what the
//! DNS codec made of bytes it has seen before.
//!
//! Two generations: entries go into the young one; when it is full, it
//! becomes the old one and the old one is dropped. A hit in the old
//! generation moves the entry back into the young one. So what is used
//! stays, what is not is forgotten within two generations, and the map
//! never holds more than twice its capacity: an LRU's behaviour without
//! its bookkeeping on every hit.
//!
//! Keys are compared byte for byte: only exactly the same bytes hit.

use std::collections::HashMap;

#[derive(Debug)]
pub(crate) struct Memo<V> {
    young: HashMap<Box<[u8]>, V>,
    old: HashMap<Box<[u8]>, V>,
    capacity: usize,
}

impl<V> Memo<V> {
    /// A memo that holds between `capacity` and `2 × capacity` entries
    /// once it has seen that many keys.
    pub(crate) fn new(capacity: usize) -> Memo<V> {
        Memo {
            young: HashMap::new(),
            old: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    /// The value remembered for exactly these bytes.
    pub(crate) fn get(&mut self, key: &[u8]) -> Option<&V> {
        if self.young.contains_key(key) {
            return self.young.get(key);
        }
        let (key, value) = self.old.remove_entry(key)?;
        self.make_room();
        Some(self.young.entry(key).or_insert(value))
    }

    pub(crate) fn insert(&mut self, key: &[u8], value: V) {
        if !self.young.contains_key(key) {
            self.make_room();
        }
        self.young.insert(key.into(), value);
    }

    /// How many entries are held, in both generations.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    fn make_room(&mut self) {
        if self.young.len() >= self.capacity {
            self.old = std::mem::take(&mut self.young);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_bytes_hit() {
        let mut memo = Memo::new(8);
        memo.insert(b"example.net", 1);
        assert_eq!(memo.get(b"example.net"), Some(&1));
        assert_eq!(memo.get(b"Example.net"), None);
        assert_eq!(memo.get(b"example.net."), None);
        assert_eq!(memo.get(b"example.ne"), None);
    }

    #[test]
    fn never_holds_more_than_twice_its_capacity() {
        let mut memo = Memo::new(100);
        for i in 0..10_000u32 {
            memo.insert(&i.to_be_bytes(), i);
            assert!(memo.len() <= 200, "{} entries after {i}", memo.len());
        }
        assert_eq!(memo.get(&9_999u32.to_be_bytes()), Some(&9_999));
        assert_eq!(memo.get(&0u32.to_be_bytes()), None, "long forgotten");
    }

    #[test]
    fn an_entry_in_use_survives_the_turn_of_generations() {
        let mut memo = Memo::new(4);
        memo.insert(b"hot", 0);
        for i in 0..100u32 {
            memo.insert(&i.to_be_bytes(), i);
            assert_eq!(memo.get(b"hot"), Some(&0), "lost after {i}");
        }
    }

    #[test]
    fn insert_replaces_the_value() {
        let mut memo = Memo::new(4);
        memo.insert(b"k", 1);
        memo.insert(b"k", 2);
        assert_eq!(memo.get(b"k"), Some(&2));
        assert_eq!(memo.len(), 1);
    }
}

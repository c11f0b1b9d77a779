//! The byte layout of feedgen's state files (the rebuild index, the item
//! cache): little-endian numbers and length-prefixed UTF-8 strings, read
//! back with every count checked against the bytes left, so a crafted file
//! can never make feedgen allocate more than a small multiple of its size.

/// Bytes one encoded string takes at the least (its length).
pub const STR_BYTES: usize = 8;

pub struct Writer(pub Vec<u8>);

impl Writer {
    pub fn u8(&mut self, n: u8) {
        self.0.push(n);
    }
    pub fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// An unsigned number in 1 to 10 bytes (LEB128: 7 bits a byte, low first).
    pub fn var(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
    /// A signed number as [`Writer::var`] (zigzag: small negatives stay small).
    pub fn var_i64(&mut self, n: i64) {
        self.var(((n << 1) ^ (n >> 63)) as u64);
    }
    /// A string with a [`Writer::var`] length.
    pub fn var_str(&mut self, s: &str) {
        self.var(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    /// `0`, or `1` and the string.
    pub fn opt(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    pub fn list<S: AsRef<str>>(&mut self, items: &[S]) {
        self.u64(items.len() as u64);
        items.iter().for_each(|s| self.str(s.as_ref()));
    }
}

pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    pub fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub fn u64(&mut self) -> Option<u64> {
        self.take(8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes)
    }
    /// A count of things each encoded in at least `min_bytes`, refused
    /// unless the bytes left can hold that many.
    pub fn len(&mut self, min_bytes: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n.checked_mul(min_bytes)? <= self.0.len()).then_some(n)
    }
    /// A number [`Writer::var`] wrote; `None` past 10 bytes or 64 bits.
    pub fn var(&mut self) -> Option<u64> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return None;
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }
    pub fn var_i64(&mut self) -> Option<i64> {
        let n = self.var()?;
        Some((n >> 1) as i64 ^ -((n & 1) as i64))
    }
    /// A [`Writer::var`] count of things each at least `min_bytes` long,
    /// refused unless the bytes left can hold that many.
    pub fn var_len(&mut self, min_bytes: usize) -> Option<usize> {
        let n = usize::try_from(self.var()?).ok()?;
        (n.checked_mul(min_bytes)? <= self.0.len()).then_some(n)
    }
    /// A string [`Writer::var_str`] wrote, borrowed from the bytes.
    pub fn var_text(&mut self) -> Option<&'a str> {
        let n = self.var_len(1)?;
        simdutf8::basic::from_utf8(self.take(n)?).ok()
    }
    pub fn str(&mut self) -> Option<String> {
        self.text().map(String::from)
    }
    /// A string, borrowed from the bytes.
    pub fn text(&mut self) -> Option<&'a str> {
        let n = self.len(1)?;
        simdutf8::basic::from_utf8(self.take(n)?).ok()
    }
    pub fn opt(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => self.str().map(Some),
            _ => None,
        }
    }
    pub fn list<T: From<String>>(&mut self) -> Option<Vec<T>> {
        let n = self.len(STR_BYTES)?;
        (0..n).map(|_| self.str().map(T::from)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_counts_are_bounded_by_the_bytes_left() {
        let mut w = Writer(Vec::new());
        w.u8(7);
        w.opt(Some("甲"));
        w.opt(None);
        w.list(&["a", "b"]);
        let mut r = Reader(&w.0);
        assert_eq!(r.u8(), Some(7));
        assert_eq!(r.opt(), Some(Some("甲".to_string())));
        assert_eq!(r.opt(), Some(None));
        assert_eq!(r.list::<String>(), Some(vec!["a".to_string(), "b".to_string()]));
        assert!(r.0.is_empty());
        // A count of 2^60 strings in 8 bytes is refused before allocating.
        let mut w = Writer(Vec::new());
        w.u64(1 << 60);
        w.u64(0);
        assert_eq!(Reader(&w.0).list::<String>(), None);
    }

    #[test]
    fn variable_length_numbers_round_trip_and_overlong_ones_are_refused() {
        let numbers = [0, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX];
        let signed = [0, -1, 1, -64, 64, i64::MIN, i64::MAX, 1_638_934_000];
        let mut w = Writer(Vec::new());
        numbers.iter().for_each(|&n| w.var(n));
        signed.iter().for_each(|&n| w.var_i64(n));
        w.var_str("上海");
        let mut sizes = Writer(Vec::new());
        sizes.var(127);
        sizes.var(128);
        assert_eq!(sizes.0.len(), 3, "7 bits a byte");
        let mut r = Reader(&w.0);
        assert_eq!(numbers.map(|_| r.var()), numbers.map(Some));
        assert_eq!(signed.map(|_| r.var_i64()), signed.map(Some));
        assert_eq!(r.var_text(), Some("上海"));
        assert!(r.0.is_empty());
        // Eleven bytes, bits past 64, a number cut short, a count too big.
        assert_eq!(Reader(&[0x80; 11]).var(), None);
        assert_eq!(
            Reader(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).var(),
            None
        );
        assert_eq!(Reader(&[0x80]).var(), None);
        assert_eq!(Reader(&[0x05, b'a']).var_len(1), None);
    }
}

//! Just enough PNG to read back a browser's screenshot: 8-bit RGB or
//! RGBA, not interlaced (what Chromium writes), zlib-inflated here
//! (RFC 1951: stored, fixed and dynamic Huffman blocks), scanlines
//! unfiltered (PNG §9). No crate in the tree reads PNG, and this is
//! smaller than adding one.

#![allow(dead_code)]

/// An image as rows of RGB pixels.
pub struct Image {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<[u8; 3]>,
}

impl Image {
    pub fn at(&self, x: usize, y: usize) -> [u8; 3] {
        self.rgb[y * self.width + x]
    }
}

pub fn decode(png: &[u8]) -> Result<Image, String> {
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err("not a PNG".into());
    }
    let mut pos = 8;
    let (mut width, mut height, mut channels) = (0, 0, 0);
    let mut idat = Vec::new();
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let data = png
            .get(pos + 8..pos + 8 + len)
            .ok_or("a chunk runs past the end")?;
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                let (depth, colour, interlace) = (data[8], data[9], data[12]);
                channels = match (depth, colour, interlace) {
                    (8, 2, 0) => 3,
                    (8, 6, 0) => 4,
                    _ => {
                        return Err(format!(
                            "unsupported PNG: depth {depth} colour {colour} interlace {interlace}"
                        ));
                    }
                };
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len;
    }
    // zlib: two header bytes, deflate data, an Adler-32 we do not check.
    let raw = inflate(idat.get(2..).ok_or("no image data")?)?;
    let stride = width * channels;
    if raw.len() < height * (stride + 1) {
        return Err(format!("{} bytes for {width}x{height}", raw.len()));
    }
    let mut prev = vec![0u8; stride];
    let mut rgb = Vec::with_capacity(width * height);
    for y in 0..height {
        let line = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let mut cur = line[1..].to_vec();
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            cur[i] = cur[i].wrapping_add(match line[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((a as u16 + b as u16) / 2) as u8,
                4 => {
                    let p = a as i16 + b as i16 - c as i16;
                    let (pa, pb, pc) = (
                        (p - a as i16).abs(),
                        (p - b as i16).abs(),
                        (p - c as i16).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => return Err(format!("filter {f} on row {y}")),
            });
        }
        rgb.extend(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    Ok(Image { width, height, rgb })
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    bit: u32,
    held: u32,
}

impl Bits<'_> {
    fn need(&mut self, n: u32) -> Result<u32, String> {
        while self.bit < n {
            let byte = *self.data.get(self.pos).ok_or("deflate data ends early")?;
            self.held |= u32::from(byte) << self.bit;
            self.pos += 1;
            self.bit += 8;
        }
        let v = self.held & ((1u32 << n) - 1);
        self.held >>= n;
        self.bit -= n;
        Ok(v)
    }
}

/// A canonical Huffman code: counts per length and symbols in order.
struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[l as usize] += 1;
        }
        counts[0] = 0;
        let mut offs = [0u16; 16];
        for l in 1..16 {
            offs[l] = offs[l - 1] + counts[l - 1];
        }
        let mut symbols = vec![0; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Huffman { counts, symbols }
    }

    fn decode(&self, bits: &mut Bits) -> Result<u16, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.need(1)? as i32;
            let count = self.counts[len] as i32;
            if code - count < first {
                return Ok(self.symbols[(index + code - first) as usize]);
            }
            index += count;
            first += count;
            first <<= 1;
            code <<= 1;
        }
        Err("a bad Huffman code".into())
    }
}

const LEN_BASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEN_EXTRA: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DIST_BASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

/// RFC 1951 inflate.
fn inflate(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut bits = Bits {
        data,
        pos: 0,
        bit: 0,
        held: 0,
    };
    let mut out = Vec::new();
    loop {
        let last = bits.need(1)?;
        match bits.need(2)? {
            0 => {
                // Stored: to a byte boundary, LEN, NLEN, bytes.
                bits.held = 0;
                bits.bit = 0;
                let p = bits.pos;
                let len = u16::from_le_bytes([data[p], data[p + 1]]) as usize;
                out.extend_from_slice(
                    data.get(p + 4..p + 4 + len)
                        .ok_or("stored block ends early")?,
                );
                bits.pos = p + 4 + len;
            }
            kind @ (1 | 2) => {
                let (lit, dist) = if kind == 1 {
                    let mut l = [8u8; 288];
                    l[144..256].fill(9);
                    l[256..280].fill(7);
                    (Huffman::new(&l), Huffman::new(&[5u8; 30]))
                } else {
                    let hlit = bits.need(5)? as usize + 257;
                    let hdist = bits.need(5)? as usize + 1;
                    let hclen = bits.need(4)? as usize + 4;
                    const ORDER: [usize; 19] = [
                        16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                    ];
                    let mut cl = [0u8; 19];
                    for &i in ORDER.iter().take(hclen) {
                        cl[i] = bits.need(3)? as u8;
                    }
                    let code = Huffman::new(&cl);
                    let mut lengths = Vec::with_capacity(hlit + hdist);
                    while lengths.len() < hlit + hdist {
                        match code.decode(&mut bits)? {
                            s @ 0..=15 => lengths.push(s as u8),
                            16 => {
                                let prev = *lengths.last().ok_or("repeat with nothing before")?;
                                let n = 3 + bits.need(2)?;
                                lengths.extend(std::iter::repeat_n(prev, n as usize));
                            }
                            17 => {
                                let n = 3 + bits.need(3)?;
                                lengths.extend(std::iter::repeat_n(0, n as usize));
                            }
                            _ => {
                                let n = 11 + bits.need(7)?;
                                lengths.extend(std::iter::repeat_n(0, n as usize));
                            }
                        }
                    }
                    (
                        Huffman::new(&lengths[..hlit]),
                        Huffman::new(&lengths[hlit..]),
                    )
                };
                loop {
                    let sym = lit.decode(&mut bits)? as usize;
                    if sym < 256 {
                        out.push(sym as u8);
                        continue;
                    }
                    if sym == 256 {
                        break;
                    }
                    let i = sym - 257;
                    let len = *LEN_BASE.get(i).ok_or("a bad length")? as usize
                        + bits.need(u32::from(LEN_EXTRA[i]))? as usize;
                    let d = dist.decode(&mut bits)? as usize;
                    let back = *DIST_BASE.get(d).ok_or("a bad distance")? as usize
                        + bits.need(u32::from(DIST_EXTRA[d]))? as usize;
                    let start = out
                        .len()
                        .checked_sub(back)
                        .ok_or("a distance too far back")?;
                    for k in 0..len {
                        out.push(out[start + k]);
                    }
                }
            }
            _ => return Err("block type 3".into()),
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"ladder ladder ladder: mailflow draws the trip. ";

    #[test]
    fn inflate_reads_stored_and_fixed_huffman_blocks_rfc1951_3_2() {
        // zlib.compress(TEXT * 4, level)[2:-4] from Python, levels 0 and 9.
        let mut stored = vec![1u8, 188, 0, 67, 255];
        stored.extend(TEXT.repeat(4));
        let fixed = [
            203u8, 73, 76, 73, 73, 45, 82, 200, 65, 166, 172, 20, 114, 19, 51, 115, 210, 114, 242,
            203, 21, 82, 138, 18, 203, 139, 21, 74, 50, 82, 21, 74, 138, 50, 11, 244, 80, 213, 13,
            180, 114, 0,
        ];
        assert_eq!(inflate(&stored).unwrap(), TEXT.repeat(4));
        assert_eq!(inflate(&fixed).unwrap(), TEXT.repeat(4));
        assert!(inflate(&fixed[..20]).is_err());
    }
}

//! Reading and writing `.npy` files with the checks a user needs: a missing file, a file that
//! is not `.npy`, the wrong element type or the wrong number of dimensions are each an error
//! naming the file and what was found.
//!
//! Most files a run reads are small and read whole ([`read_matrix`]). Recorded states can be
//! gigabytes, so [`MatrixReader`] reads a matrix a block of rows at a time, as the run consumes
//! them: the run never holds the whole file, and reading overlaps the readout's work on the
//! rows before.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayD, Ix1, Ix2};
use ndarray_npy::npy::header::{Header, Layout};
use ndarray_npy::{ReadNpyError, ReadNpyExt, WritableElement, WriteNpyExt};

use crate::error::RunError;

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, RunError> {
    let f = std::fs::File::open(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(std::io::BufReader::new(f))
}

fn npy_err(path: &Path, e: ReadNpyError) -> RunError {
    RunError::Npy {
        path: path.to_path_buf(),
        message: format!("not a readable .npy array: {e}"),
    }
}

/// Reads a floating-point array of any dimension, accepting f64, f32 and integer files.
fn read_float_dyn(path: &Path) -> Result<ArrayD<f64>, RunError> {
    match ArrayD::<f64>::read_npy(open(path)?) {
        Ok(a) => return Ok(a),
        Err(ReadNpyError::WrongDescriptor(_)) => {}
        Err(e) => return Err(npy_err(path, e)),
    }
    if let Ok(a) = ArrayD::<f32>::read_npy(open(path)?) {
        return Ok(a.mapv(f64::from));
    }
    if let Ok(a) = ArrayD::<i64>::read_npy(open(path)?) {
        return Ok(a.mapv(|v| v as f64));
    }
    if let Ok(a) = ArrayD::<i32>::read_npy(open(path)?) {
        return Ok(a.mapv(f64::from));
    }
    Err(RunError::Npy {
        path: path.to_path_buf(),
        message: "element type must be float64, float32, int64 or int32".to_owned(),
    })
}

/// Reads a `T × k` matrix; a 1-D array of length `T` is read as `T × 1`.
///
/// # Errors
///
/// [`RunError::Io`] for a missing file, [`RunError::Npy`] for a bad file or a shape with more
/// than two dimensions.
pub fn read_matrix(path: &Path, what: &str) -> Result<Array2<f64>, RunError> {
    let a = read_float_dyn(path)?;
    let shape = a.shape().to_vec();
    match shape.len() {
        1 => Ok(a
            .into_dimensionality::<Ix1>()
            .expect("checked: one dimension")
            .insert_axis(ndarray::Axis(1))),
        2 => Ok(a
            .into_dimensionality::<Ix2>()
            .expect("checked: two dimensions")),
        _ => Err(RunError::Npy {
            path: path.to_path_buf(),
            message: format!("{what} must be a 1-D or 2-D array, found shape {shape:?}"),
        }),
    }
}

/// Reads integer class labels (any integer type, or floats with integral non-negative values),
/// as a vector of length `T`; a `T × 1` array is accepted.
///
/// # Errors
///
/// As [`read_matrix`], and [`RunError::Npy`] when a value is not a non-negative integer.
pub fn read_labels(path: &Path) -> Result<Array1<usize>, RunError> {
    let m = read_matrix(path, "targets")?;
    if m.ncols() != 1 {
        return Err(RunError::Npy {
            path: path.to_path_buf(),
            message: format!(
                "class labels must be a vector of length T, found shape [{}, {}]",
                m.nrows(),
                m.ncols()
            ),
        });
    }
    let mut out = Array1::zeros(m.nrows());
    for (t, &v) in m.column(0).iter().enumerate() {
        if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e9) {
            return Err(RunError::Npy {
                path: path.to_path_buf(),
                message: format!("class label at row {t} is {v}, not a non-negative integer"),
            });
        }
        out[t] = v as usize;
    }
    Ok(out)
}

/// Bytes read from the file per block: small enough to stay in the core's L2 cache while its
/// rows are converted, large enough that the system calls cost nothing next to the copying.
const BLOCK_BYTES: usize = 256 * 1024;

/// An element type a streamed matrix may hold, in the byte order of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Element {
    F64 { little: bool },
    F32 { little: bool },
    I64 { little: bool },
    I32 { little: bool },
}

impl Element {
    /// The element type of a `descr` such as `'<f8'`, if it is one the reader converts.
    fn parse(descr: &str) -> Option<Element> {
        let (order, kind) = descr.split_at_checked(1)?;
        // numpy writes multi-byte types with an explicit byte order.
        let little = match order {
            "<" => true,
            ">" => false,
            _ => return None,
        };
        Some(match kind {
            "f8" => Element::F64 { little },
            "f4" => Element::F32 { little },
            "i8" => Element::I64 { little },
            "i4" => Element::I32 { little },
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Element::F64 { .. } | Element::I64 { .. } => 8,
            Element::F32 { .. } | Element::I32 { .. } => 4,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Element::F64 { .. } => "float64",
            Element::F32 { .. } => "float32",
            Element::I64 { .. } => "int64",
            Element::I32 { .. } => "int32",
        }
    }

    /// Appends the values of one row (`src`, the row's bytes) to `out`: every column, or the
    /// columns `keep` in its order.
    fn extend_row(self, src: &[u8], keep: Option<&[usize]>, out: &mut Vec<f64>) {
        match self {
            Element::F64 { little: true } => extend::<8>(src, keep, out, f64::from_le_bytes),
            Element::F64 { little: false } => extend::<8>(src, keep, out, f64::from_be_bytes),
            Element::F32 { little } => extend::<4>(src, keep, out, |b| {
                f64::from(if little {
                    f32::from_le_bytes(b)
                } else {
                    f32::from_be_bytes(b)
                })
            }),
            // Integer states are measured counts; as in `read_matrix`, they become the
            // nearest float64 (exact up to 2^53).
            Element::I64 { little } => extend::<8>(src, keep, out, |b| {
                (if little {
                    i64::from_le_bytes(b)
                } else {
                    i64::from_be_bytes(b)
                }) as f64
            }),
            Element::I32 { little } => extend::<4>(src, keep, out, |b| {
                f64::from(if little {
                    i32::from_le_bytes(b)
                } else {
                    i32::from_be_bytes(b)
                })
            }),
        }
    }
}

/// Decodes `N`-byte elements of `src` into `out`. Both loops have an exact length, so `extend`
/// writes without a capacity check per element and the whole-row case compiles to a copy.
#[inline(always)]
fn extend<const N: usize>(
    src: &[u8],
    keep: Option<&[usize]>,
    out: &mut Vec<f64>,
    decode: impl Fn([u8; N]) -> f64,
) {
    let element = |b: &[u8]| decode(<[u8; N]>::try_from(b).expect("slices of exactly N bytes"));
    match keep {
        None => out.extend(src.chunks_exact(N).map(element)),
        Some(cols) => out.extend(cols.iter().map(|&c| element(&src[c * N..(c + 1) * N]))),
    }
}

/// A value that is NaN or infinite, where a [`MatrixReader`] found it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NonFinite {
    /// Row in the file.
    pub row: usize,
    /// Column in the file.
    pub column: usize,
    /// The value (NaN, `inf` or `-inf`).
    pub value: f64,
}

/// A `T × n` matrix in a `.npy` file, read by rows.
///
/// A file in C order (numpy's default) is read a block at a time, so memory stays at one
/// block however large the file; each row is converted to float64 while it is in cache. A file
/// in Fortran order keeps each column together, so its rows are scattered through the file; it
/// is read whole when opened and its rows are served from memory.
#[derive(Debug)]
pub struct MatrixReader {
    path: PathBuf,
    rows: usize,
    cols: usize,
    source: Source,
}

#[derive(Debug)]
enum Source {
    Stream {
        file: File,
        element: Element,
        /// Offset of the first row.
        data_start: u64,
        /// The row the file's position is at.
        next_row: usize,
        /// Bytes of the current block.
        buf: Vec<u8>,
    },
    Memory(Array2<f64>),
}

impl MatrixReader {
    /// Opens a `.npy` matrix: a 2-D array, or a 1-D array of length `T` read as `T × 1`, of
    /// float64, float32, int64 or int32. The header is checked against the file's length, so a
    /// truncated file is an error here rather than part-way through a run.
    ///
    /// # Errors
    ///
    /// [`RunError::Io`] for a missing or unreadable file; [`RunError::Npy`] for a file that is
    /// not `.npy`, another element type, another number of dimensions or a length that does
    /// not match the header. `what` names the matrix in messages.
    pub fn open(path: &Path, what: &str) -> Result<MatrixReader, RunError> {
        let io = |source| RunError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bad = |message: String| RunError::Npy {
            path: path.to_path_buf(),
            message,
        };
        let mut file = File::open(path).map_err(io)?;
        // The header is read with exact reads straight from the file, so the file's position
        // is the first row afterwards.
        let header = Header::from_reader(&mut file)
            .map_err(|e| bad(format!("not a readable .npy array: {e}")))?;
        let (rows, cols) = match header.shape[..] {
            [t] => (t, 1),
            [t, n] => (t, n),
            ref other => {
                return Err(bad(format!(
                    "{what} must be a 1-D or 2-D array, found shape {other:?}"
                )));
            }
        };
        let descr = header.type_descriptor.as_string().map(String::as_str);
        let Some(element) = descr.and_then(Element::parse) else {
            return Err(bad(format!(
                "element type must be float64, float32, int64 or int32, found {}",
                header.type_descriptor
            )));
        };
        if header.layout == Layout::Fortran && rows > 1 && cols > 1 {
            let x = read_matrix(path, what)?;
            let x = if x.is_standard_layout() {
                x
            } else {
                x.as_standard_layout().into_owned()
            };
            return Ok(MatrixReader {
                path: path.to_path_buf(),
                rows,
                cols,
                source: Source::Memory(x),
            });
        }
        let data_start = file.stream_position().map_err(io)?;
        let file_len = file.metadata().map_err(io)?.len();
        let data_len = rows
            .checked_mul(cols)
            .and_then(|n| n.checked_mul(element.size()))
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| bad(format!("the shape [{rows}, {cols}] is too large")))?;
        let held = file_len.saturating_sub(data_start);
        if held != data_len {
            return Err(bad(format!(
                "the header's shape [{rows}, {cols}] of {} needs {data_len} bytes of data, the \
                 file holds {held}",
                element.name()
            )));
        }
        Ok(MatrixReader {
            path: path.to_path_buf(),
            rows,
            cols,
            source: Source::Stream {
                file,
                element,
                data_start,
                next_row: 0,
                buf: Vec::new(),
            },
        })
    }

    /// Rows of the matrix.
    pub fn nrows(&self) -> usize {
        self.rows
    }

    /// Columns of the matrix.
    pub fn ncols(&self) -> usize {
        self.cols
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends rows `rows` to `out`, row after row, each with every column or with the columns
    /// `keep` (in that order), and returns the first value among them that is not finite.
    ///
    /// # Errors
    ///
    /// [`RunError::Data`] for rows beyond the matrix or a column of `keep` beyond its width;
    /// [`RunError::Io`] when the file cannot be read.
    pub fn read_rows(
        &mut self,
        rows: Range<usize>,
        keep: Option<&[usize]>,
        out: &mut Vec<f64>,
    ) -> Result<Option<NonFinite>, RunError> {
        self.check(&rows, keep)?;
        if keep.is_none() {
            if let Some(first) = self.read_native_rows(rows.clone(), out)? {
                return Ok(first);
            }
        }
        let width = keep.map_or(self.cols, <[usize]>::len);
        out.reserve(rows.len() * width);
        let mut first = None;
        self.for_each_block(rows, |t0, block| {
            for (i, row) in block.enumerate() {
                let start = out.len();
                match row {
                    Row::Bytes(element, src) => element.extend_row(src, keep, out),
                    Row::Values(v) => match keep {
                        None => out.extend_from_slice(v),
                        Some(cols) => out.extend(cols.iter().map(|&c| v[c])),
                    },
                }
                if first.is_none() {
                    first = first_nonfinite(&out[start..]).map(|(j, value)| NonFinite {
                        row: t0 + i,
                        column: keep.map_or(j, |cols| cols[j]),
                        value,
                    });
                }
            }
        })?;
        Ok(first)
    }

    /// Reads whole rows of a streamed file of native-endian float64 (numpy's default on this
    /// machine) straight into `out`: the file's bytes are the values, so they go from the read
    /// into their place with no block buffer and no conversion, and one pass then looks for a
    /// value that is not finite. Returns `None` without reading for any other file.
    fn read_native_rows(
        &mut self,
        rows: Range<usize>,
        out: &mut Vec<f64>,
    ) -> Result<Option<Option<NonFinite>>, RunError> {
        let cols = self.cols;
        let Source::Stream {
            file,
            element: Element::F64 { little },
            data_start,
            next_row,
            ..
        } = &mut self.source
        else {
            return Ok(None);
        };
        if *little != cfg!(target_endian = "little") || cols == 0 {
            return Ok(None);
        }
        let io = |source| RunError::Io {
            path: self.path.clone(),
            source,
        };
        let row_bytes = cols * std::mem::size_of::<f64>();
        if *next_row != rows.start {
            let offset = *data_start + (rows.start * row_bytes) as u64;
            file.seek(SeekFrom::Start(offset)).map_err(io)?;
            *next_row = rows.start;
        }
        let start = out.len();
        let len = rows.len() * cols;
        if out.capacity() == 0 {
            // A zeroed allocation takes fresh pages from the system, which are zero already,
            // rather than writing zeros that the read overwrites.
            *out = vec![0.0; len];
        } else {
            out.resize(start + len, 0.0);
        }
        // A read that fails leaves the position unknown: the next read seeks.
        *next_row = usize::MAX;
        file.read_exact(bytemuck::cast_slice_mut(&mut out[start..]))
            .map_err(io)?;
        *next_row = rows.end;
        let first = first_nonfinite(&out[start..]).map(|(i, value)| NonFinite {
            row: rows.start + i / cols,
            column: i % cols,
            value,
        });
        Ok(Some(first))
    }

    /// The columns (ascending) that hold a value which is not finite in rows `rows`, with how
    /// many such values each holds.
    ///
    /// # Errors
    ///
    /// As [`read_rows`](Self::read_rows).
    pub fn nonfinite_columns(
        &mut self,
        rows: Range<usize>,
    ) -> Result<Vec<(usize, usize)>, RunError> {
        self.check(&rows, None)?;
        let mut counts = vec![0usize; self.cols];
        let mut row_values = Vec::with_capacity(self.cols);
        self.for_each_block(rows, |_, block| {
            for row in block {
                let v = match row {
                    Row::Bytes(element, src) => {
                        row_values.clear();
                        element.extend_row(src, None, &mut row_values);
                        &row_values[..]
                    }
                    Row::Values(v) => v,
                };
                if first_nonfinite(v).is_some() {
                    for (c, x) in counts.iter_mut().zip(v) {
                        *c += usize::from(!x.is_finite());
                    }
                }
            }
        })?;
        Ok(counts
            .into_iter()
            .enumerate()
            .filter(|&(_, n)| n > 0)
            .collect())
    }

    fn check(&self, rows: &Range<usize>, keep: Option<&[usize]>) -> Result<(), RunError> {
        if rows.start > rows.end || rows.end > self.rows {
            return Err(RunError::Data(format!(
                "{}: rows {}..{} asked of a matrix with {} rows",
                self.path.display(),
                rows.start,
                rows.end,
                self.rows
            )));
        }
        if let Some(c) = keep.and_then(|k| k.iter().find(|&&c| c >= self.cols)) {
            return Err(RunError::Data(format!(
                "{}: column {c} asked of a matrix with {} columns",
                self.path.display(),
                self.cols
            )));
        }
        Ok(())
    }

    /// Calls `f(first_row, rows)` for consecutive blocks of `rows`: the bytes of each row, read
    /// a block at a time, or the rows held in memory.
    fn for_each_block(
        &mut self,
        rows: Range<usize>,
        mut f: impl FnMut(usize, &mut dyn Iterator<Item = Row<'_>>),
    ) -> Result<(), RunError> {
        let cols = self.cols;
        match &mut self.source {
            Source::Memory(x) => {
                let view = x.slice(ndarray::s![rows.clone(), ..]);
                let mut block = view.rows().into_iter().map(|r| {
                    Row::Values(
                        r.to_slice()
                            .expect("held in standard layout, so every row is contiguous"),
                    )
                });
                f(rows.start, &mut block);
            }
            Source::Stream {
                file,
                element,
                data_start,
                next_row,
                buf,
            } => {
                let row_bytes = cols * element.size();
                if row_bytes == 0 {
                    let mut block = rows.clone().map(|_| Row::Values(&[]));
                    f(rows.start, &mut block);
                    return Ok(());
                }
                let io = |source| RunError::Io {
                    path: self.path.clone(),
                    source,
                };
                if *next_row != rows.start {
                    let offset = *data_start + (rows.start * row_bytes) as u64;
                    file.seek(SeekFrom::Start(offset)).map_err(io)?;
                    *next_row = rows.start;
                }
                let per_block = (BLOCK_BYTES / row_bytes).max(1);
                let mut t = rows.start;
                while t < rows.end {
                    let n = per_block.min(rows.end - t);
                    buf.resize(n * row_bytes, 0);
                    // A read that fails leaves the position unknown: the next read seeks.
                    *next_row = usize::MAX;
                    file.read_exact(buf).map_err(io)?;
                    *next_row = t + n;
                    let element = *element;
                    let mut block = buf.chunks_exact(row_bytes).map(|r| Row::Bytes(element, r));
                    f(t, &mut block);
                    t += n;
                }
            }
        }
        Ok(())
    }
}

/// One row as [`MatrixReader::for_each_block`] hands it over.
enum Row<'a> {
    /// Its bytes in the file.
    Bytes(Element, &'a [u8]),
    /// Its values, for a matrix held in memory.
    Values(&'a [f64]),
}

/// The first value of `v` that is not finite, with its index. The common case, a row with none,
/// costs one pass that the compiler vectorises; only a row with one is searched.
fn first_nonfinite(v: &[f64]) -> Option<(usize, f64)> {
    if v.iter().fold(true, |ok, x| ok & x.is_finite()) {
        return None;
    }
    v.iter().copied().enumerate().find(|(_, x)| !x.is_finite())
}

/// Writes an array, creating or truncating the file.
///
/// # Errors
///
/// [`RunError::Io`] when the file cannot be written.
pub fn write<A, S, D>(path: &Path, a: &ndarray::ArrayBase<S, D>) -> Result<(), RunError>
where
    A: WritableElement,
    S: ndarray::Data<Elem = A>,
    D: ndarray::Dimension,
{
    let f = std::fs::File::create(path).map_err(|source| RunError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    a.write_npy(std::io::BufWriter::new(f))
        .map_err(|e| RunError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })
}

//! Byte links to the rig: a serial port in the lab, an in-memory pipe to the in-process
//! emulator.
//!
//! Both are `embedded_io::Read + Write` with `std::io::Error`, and both return a read after a
//! short poll interval with `TimedOut` when nothing arrived, so the driver keeps its own
//! deadline per request rather than trusting one blocking call.

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::Duration;

use embedded_io::{ErrorType, Read, Write};
use embedded_io_adapters::std::FromStd;

use crate::error::RigError;

/// How long one read waits before reporting `TimedOut` to the driver.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The link a [`Rig`](crate::Rig) talks over when it is built from a configuration.
pub enum Transport {
    /// A serial port (a USB–serial adapter, a pseudo-terminal).
    Serial(FromStd<Box<dyn serialport::SerialPort>>),
    /// An in-memory pipe to an emulator in this process.
    Memory(MemoryLink),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Serial(p) => write!(f, "Serial({:?})", p.inner().name()),
            Transport::Memory(_) => f.write_str("Memory"),
        }
    }
}

impl Transport {
    /// Opens a serial port at `baud` with 8N1 framing.
    ///
    /// The port's own timeout is the short [`POLL_INTERVAL`]: serialport's default of zero
    /// would make every read return at once.
    ///
    /// # Errors
    ///
    /// [`RigError::Port`] when the port cannot be opened.
    pub fn open_serial(path: &str, baud: u32) -> Result<Self, RigError> {
        let port = serialport::new(path, baud)
            .timeout(POLL_INTERVAL)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .open()
            .map_err(|e| RigError::Port {
                port: path.to_owned(),
                message: e.to_string(),
            })?;
        Ok(Transport::Serial(FromStd::new(port)))
    }
}

impl ErrorType for Transport {
    type Error = io::Error;
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        match self {
            Transport::Serial(p) => p.read(buf),
            Transport::Memory(m) => m.read(buf),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        match self {
            Transport::Serial(p) => p.write(buf),
            Transport::Memory(m) => m.write(buf),
        }
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        match self {
            Transport::Serial(p) => p.flush(),
            Transport::Memory(m) => m.flush(),
        }
    }
}

/// One end of an in-memory byte pipe.
#[derive(Debug)]
pub struct MemoryLink {
    tx: SyncSender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
    pending: VecDeque<u8>,
    timeout: Duration,
}

/// Two connected ends: what one writes the other reads.
pub fn memory_pair() -> (MemoryLink, MemoryLink) {
    // Bounded, like a UART's buffers: a writer that runs far ahead of its reader waits.
    let (a_tx, b_rx) = std::sync::mpsc::sync_channel(256);
    let (b_tx, a_rx) = std::sync::mpsc::sync_channel(256);
    let end = |tx, rx| MemoryLink {
        tx,
        rx,
        pending: VecDeque::new(),
        timeout: POLL_INTERVAL,
    };
    (end(a_tx, a_rx), end(b_tx, b_rx))
}

impl MemoryLink {
    /// Sets how long a read waits before `TimedOut`.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Whether bytes are waiting to be read.
    pub fn has_input(&mut self) -> bool {
        while let Ok(v) = self.rx.try_recv() {
            self.pending.extend(v);
        }
        !self.pending.is_empty()
    }

    /// Writes without blocking: `false` when the pipe is full or closed.
    pub fn try_write(&mut self, bytes: &[u8]) -> Result<bool, io::Error> {
        match self.tx.try_send(bytes.to_vec()) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(TrySendError::Disconnected(_)) => Err(hung_up()),
        }
    }
}

fn hung_up() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the other end hung up")
}

impl ErrorType for MemoryLink {
    type Error = io::Error;
}

impl Read for MemoryLink {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, io::Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.pending.is_empty() {
            match self.rx.recv_timeout(self.timeout) {
                Ok(v) => self.pending.extend(v),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(io::Error::new(io::ErrorKind::TimedOut, "no bytes yet"));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(hung_up()),
            }
        }
        let n = buf.len().min(self.pending.len());
        for (d, s) in buf.iter_mut().zip(self.pending.drain(..n)) {
            *d = s;
        }
        Ok(n)
    }
}

impl Write for MemoryLink {
    fn write(&mut self, buf: &[u8]) -> Result<usize, io::Error> {
        self.tx.send(buf.to_vec()).map_err(|_| hung_up())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), io::Error> {
        Ok(())
    }
}

//! A port for a daemon under test, shared by the top-level tests and the
//! daemon's own unit tests (`crates/repmon/src/daemon.rs` includes this file).

/// A free port on 127.0.0.1 for the daemon to listen on.
///
/// Taken below the kernel's ephemeral range (32768 and up on Linux): a port
/// found by binding port 0 and letting go could be handed to another test's
/// fixture server before the daemon binds it, and the daemon would then fail
/// to start, or a test would talk to the wrong server.
pub fn free_port() -> u16 {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Each process starts somewhere else, so parallel test binaries rarely probe the same ports.
    let start = *START.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        std::process::id().wrapping_mul(2_654_435_761) ^ nanos
    });
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 10_000 + (start.wrapping_add(n) % 22_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

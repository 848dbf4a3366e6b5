//! What is running on the host, read from `/proc` (Linux): processes, listening
//! sockets, and host facts (hostname, kernel, os-release, uptime).
//!
//! The parsers are pure functions of the files' text, tested on their formats; the
//! readers tolerate processes that exit while being read (they are skipped and
//! counted), since a live system changes under the collector. Every file is read
//! without blocking and up to a limit (the `MAX_*` constants): a command line cut
//! at its limit is marked and loses its incomplete last argument, a cut socket
//! table is noted.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::Serialize;

/// One process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Process {
    /// Its pid.
    pub pid: u32,
    /// Its command name (`/proc/PID/comm`).
    pub comm: String,
    /// Its command line (`/proc/PID/cmdline`), empty for kernel threads.
    pub cmdline: Vec<String>,
    /// Whether the command line was longer than [`MAX_CMDLINE_BYTES`] (its last,
    /// cut, argument is then left out).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// The most read of one command line (256 KiB).
pub const MAX_CMDLINE_BYTES: u64 = 256 << 10;
/// The most read of a small file: hostname, kernel, uptime, os-release, comm (64 KiB).
pub const MAX_SMALL_FILE_BYTES: u64 = 64 << 10;
/// The most read of one socket table, `/proc/net/tcp` and the like (64 MiB).
pub const MAX_NET_TABLE_BYTES: u64 = 64 << 20;

fn read_small(path: &Path) -> Option<String> {
    super::files::read_bounded(path, MAX_SMALL_FILE_BYTES)
        .ok()
        .map(|b| String::from_utf8_lossy(&b.bytes).into_owned())
}

/// A listening socket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Socket {
    /// `tcp`, `tcp6`, `udp` or `udp6`.
    pub protocol: String,
    /// Local address.
    pub address: String,
    /// Local port.
    pub port: u16,
    /// Socket inode.
    pub inode: u64,
    /// Processes holding it (those whose file descriptors could be read).
    pub pids: Vec<u32>,
}

/// Facts about the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HostFacts {
    /// Hostname.
    pub hostname: Option<String>,
    /// Kernel release.
    pub kernel: Option<String>,
    /// `/etc/os-release` (or `/usr/lib/os-release`) as key -> value.
    pub os_release: BTreeMap<String, String>,
    /// Seconds since boot.
    pub uptime_seconds: Option<u64>,
}

/// Listening sockets in one `/proc/net/{tcp,tcp6,udp,udp6}` table: TCP sockets in
/// state LISTEN (`0A`), UDP sockets bound and unconnected (`07`, remote port 0).
pub fn parse_net_table(text: &str, protocol: &str) -> Vec<Socket> {
    let tcp = protocol.starts_with("tcp");
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 {
            continue;
        }
        let (local, remote, state, inode) = (f[1], f[2], f[3], f[9]);
        let listening = if tcp {
            state == "0A"
        } else {
            state == "07" && remote.rsplit(':').next() == Some("0000")
        };
        if !listening {
            continue;
        }
        let Some((address, port)) = parse_endpoint(local) else {
            continue;
        };
        let Ok(inode) = inode.parse() else { continue };
        out.push(Socket {
            protocol: protocol.to_owned(),
            address,
            port,
            inode,
            pids: Vec::new(),
        });
    }
    out
}

/// `0100007F:1F90` -> (`127.0.0.1`, 8080); IPv6 addresses are four 32-bit words,
/// each in host byte order.
fn parse_endpoint(s: &str) -> Option<(String, u16)> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    // The kernel prints each 32-bit word of the address as a number in host byte
    // order.
    let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
    let address = match addr.len() {
        8 => Ipv4Addr::from(word(addr)?).to_string(),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(addr.get(i * 8..i * 8 + 8)?)?);
            }
            Ipv6Addr::from(bytes).to_string()
        }
        _ => return None,
    };
    Some((address, port))
}

/// `KEY=value` / `KEY="value"` lines of os-release.
pub fn parse_os_release(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(v);
        out.insert(
            k.trim().to_owned(),
            v.replace("\\\"", "\"").replace("\\\\", "\\"),
        );
    }
    out
}

/// Whole seconds from `/proc/uptime` (`12345.67 54321.00`).
pub fn parse_uptime(text: &str) -> Option<u64> {
    let first = text.split_whitespace().next()?;
    let whole = first.split('.').next()?;
    whole.parse().ok()
}

fn read_trimmed(path: &Path) -> Option<String> {
    read_small(path)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Host facts from `proc` (normally `/proc`) and `/etc/os-release`.
pub fn host_facts(proc: &Path) -> HostFacts {
    let os_release = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| read_small(Path::new(p)))
        .map(|t| parse_os_release(&t))
        .unwrap_or_default();
    HostFacts {
        hostname: read_trimmed(&proc.join("sys/kernel/hostname")),
        kernel: read_trimmed(&proc.join("sys/kernel/osrelease")),
        os_release,
        uptime_seconds: read_small(&proc.join("uptime")).and_then(|t| parse_uptime(&t)),
    }
}

/// Every process readable under `proc`, by pid; plus how many vanished while read.
pub fn processes(proc: &Path) -> std::io::Result<(Vec<Process>, u64)> {
    let mut out = Vec::new();
    let mut vanished = 0;
    for entry in std::fs::read_dir(proc)? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let dir = entry.path();
        let (Ok(cmdline), Some(comm)) = (
            super::files::read_bounded(&dir.join("cmdline"), MAX_CMDLINE_BYTES),
            read_small(&dir.join("comm")),
        ) else {
            vanished += 1;
            continue;
        };
        out.push(Process {
            pid,
            comm: comm.trim_end().to_owned(),
            cmdline: split_cmdline(&cmdline.bytes, cmdline.truncated),
            truncated: cmdline.truncated,
        });
    }
    out.sort_by_key(|p| p.pid);
    Ok((out, vanished))
}

/// The arguments of a `cmdline` (NUL-separated); when it was cut, the last
/// argument is incomplete and left out, so no secret is kept half-masked.
pub fn split_cmdline(bytes: &[u8], truncated: bool) -> Vec<String> {
    let mut args: Vec<&[u8]> = bytes.split(|b| *b == 0).collect();
    if truncated {
        args.pop();
    }
    args.into_iter()
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Listening sockets from `proc/net/{tcp,tcp6,udp,udp6}`, with the pids holding
/// them where the file descriptors are readable; and notes on tables cut at
/// [`MAX_NET_TABLE_BYTES`].
pub fn listening_sockets(proc: &Path) -> (Vec<Socket>, Vec<String>) {
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for protocol in ["tcp", "tcp6", "udp", "udp6"] {
        let path = proc.join("net").join(protocol);
        if let Ok(table) = super::files::read_bounded(&path, MAX_NET_TABLE_BYTES) {
            let mut text = String::from_utf8_lossy(&table.bytes).into_owned();
            if table.truncated {
                // The last line may be cut.
                text.truncate(text.rfind('\n').unwrap_or(0));
                notes.push(format!(
                    "{} is longer than {MAX_NET_TABLE_BYTES} bytes; only its start was read",
                    path.display()
                ));
            }
            out.extend(parse_net_table(&text, protocol));
        }
    }
    if out.is_empty() {
        return (out, notes);
    }
    let owners = socket_owners(proc);
    for s in &mut out {
        if let Some(p) = owners.get(&s.inode) {
            s.pids = p.clone();
        }
    }
    out.sort_by(|a, b| (&a.protocol, a.port, &a.address).cmp(&(&b.protocol, b.port, &b.address)));
    (out, notes)
}

/// socket inode -> pids, from the `socket:[inode]` links in `proc/PID/fd`.
fn socket_owners(proc: &Path) -> BTreeMap<u64, Vec<u32>> {
    let mut owners: BTreeMap<u64, Vec<u32>> = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(proc) else {
        return owners;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let t = target.to_string_lossy();
            if let Some(inode) = t
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
            {
                let pids = owners.entry(inode).or_default();
                if !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_proc_net_tables() {
        let tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A2B4 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1
";
        let s = parse_net_table(tcp, "tcp");
        assert_eq!(s.len(), 1, "only LISTEN");
        assert_eq!(
            (s[0].address.as_str(), s[0].port, s[0].inode),
            ("127.0.0.1", 8080, 4242)
        );
        let tcp6 = "header
   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0
";
        let s = parse_net_table(tcp6, "tcp6");
        assert_eq!((s[0].address.as_str(), s[0].port), ("::1", 22));
        let udp = "header
  12: 00000000:0044 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 77 2 0000000000000000 0
  13: 0100007F:0035 0200007F:0035 01 00000000:00000000 00:00000000 00000000     0        0 78 2 0000000000000000 0
";
        let s = parse_net_table(udp, "udp");
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].address.as_str(), s[0].port), ("0.0.0.0", 68));
        assert!(parse_net_table("garbage\nnot a table at all\n", "tcp").is_empty());
    }

    #[test]
    fn a_cut_command_line_loses_its_last_argument() {
        let full = b"app\0--database\0postgres://u:pw@h/db\0";
        assert_eq!(
            split_cmdline(full, false),
            ["app", "--database", "postgres://u:pw@h/db"]
        );
        // Cut inside the URL, before its `@`: the part left would not be masked.
        assert_eq!(split_cmdline(&full[..20], true), ["app", "--database"]);
        assert!(split_cmdline(b"", false).is_empty());
    }

    #[test]
    fn reads_os_release_and_uptime() {
        let o = parse_os_release(
            "# c\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=12\nID='debian'\nbad line\n",
        );
        assert_eq!(o["NAME"], "Debian GNU/Linux");
        assert_eq!(o["VERSION_ID"], "12");
        assert_eq!(o["ID"], "debian");
        assert_eq!(o.len(), 3);
        assert_eq!(parse_uptime("350735.47 234388.90\n"), Some(350_735));
        assert_eq!(parse_uptime(""), None);
    }

    #[test]
    fn sees_this_process_and_its_listening_socket() {
        let proc = Path::new("/proc");
        if !proc.join("self").exists() {
            eprintln!("no /proc: skipped");
            return;
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (ps, _) = processes(proc).unwrap();
        let me = std::process::id();
        assert!(ps.iter().any(|p| p.pid == me && !p.cmdline.is_empty()));
        let (socks, notes) = listening_sockets(proc);
        assert!(notes.is_empty(), "{notes:?}");
        let mine = socks
            .iter()
            .find(|s| s.protocol == "tcp" && s.port == port)
            .expect("our listener is listed");
        assert_eq!(mine.address, "127.0.0.1");
        assert!(mine.pids.contains(&me), "{mine:?}");
        let facts = host_facts(proc);
        assert!(facts.kernel.is_some() && facts.uptime_seconds.is_some());
    }
}

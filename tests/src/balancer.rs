//! A real load balancer in front of several instances: HAProxy from Debian's packages
//! (`apt-get install haproxy`), started on a free port with the configuration of
//! [`Balancer::config`] (the one the README quotes), round-robin, and stopped on drop.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// HAProxy, running.
pub struct Balancer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

/// Where HAProxy is, if it is installed (`/usr/sbin` is not on every user's `PATH`).
pub fn haproxy() -> Option<PathBuf> {
    let works = |p: &PathBuf| {
        Command::new(p).arg("-v").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
    };
    ["haproxy", "/usr/sbin/haproxy"].into_iter().map(PathBuf::from).find(works)
}

impl Balancer {
    /// The configuration: one frontend on `port`, round-robin over the instances on
    /// `backends` (ports on 127.0.0.1), each health-checked on `/health` every 500 ms and
    /// taken out after two failures; a request whose connection is refused is sent to
    /// another instance; the client's address goes in `X-Forwarded-For` (the instances
    /// trust 127.0.0.1 with `TRUSTED_PROXIES`). A body announced over the service's 64 KiB
    /// limit is refused by the balancer with the service's own `413`: an instance answers
    /// it before reading the body and closes, and the balancer, still sending, would lose
    /// that answer to the reset.
    pub fn config(port: u16, backends: &[u16]) -> String {
        let mut config = format!(
            "global\n\
             defaults\n\
             \x20   mode http\n\
             \x20   option forwardfor\n\
             \x20   option redispatch\n\
             \x20   retries 2\n\
             \x20   timeout connect 2s\n\
             \x20   timeout client 30s\n\
             \x20   timeout server 30s\n\
             \x20   timeout http-request 10s\n\
             frontend api\n\
             \x20   bind 127.0.0.1:{port}\n\
             \x20   http-request return status 413 content-type application/json string \
             '{{\"detail\":\"Request body is too large\",\"code\":\"payload_too_large\"}}' \
             if {{ req.hdr_val(content-length) gt 65536 }}\n\
             \x20   default_backend instances\n\
             backend instances\n\
             \x20   balance roundrobin\n\
             \x20   option httpchk GET /health\n\
             \x20   default-server check inter 500ms fall 2 rise 1\n"
        );
        for (i, backend) in backends.iter().enumerate() {
            config.push_str(&format!("    server instance{i} 127.0.0.1:{backend}\n"));
        }
        config
    }

    /// HAProxy on a free port in front of `backends`, ready to take connections.
    ///
    /// # Panics
    /// When HAProxy is not installed, or does not start.
    pub fn start(backends: &[u16]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        Self::start_on(port, backends)
    }

    /// As [`start`](Self::start), on `port`. Start it once the instances listen: an
    /// instance that fails its first health checks is out until the next one passes.
    ///
    /// # Panics
    /// As [`start`](Self::start).
    pub fn start_on(port: u16, backends: &[u16]) -> Self {
        let haproxy = haproxy().expect("HAProxy is installed (apt-get install haproxy)");
        let dir = tempfile::tempdir().expect("a directory for the configuration");
        let file = dir.path().join("haproxy.cfg");
        // For the tests only: a statistics socket (which instance served how much), and no
        // SO_REUSEPORT, so that a port another test holds is an error rather than shared.
        let stats = dir.path().join("stats.sock");
        let config = Self::config(port, backends).replacen(
            "global\n",
            &format!("global\n    noreuseport\n    stats socket {} mode 600\n", stats.display()),
            1,
        );
        std::fs::write(&file, config).expect("the configuration");
        let log = std::fs::File::create(dir.path().join("haproxy.log")).expect("a log file");
        let child = Command::new(haproxy)
            .arg("-db") // in the foreground
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("HAProxy starts");
        let mut balancer = Self { child, port, _dir: dir };
        let started = Instant::now();
        while !balancer.stats_socket().exists()
            || std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
        {
            if let Ok(Some(status)) = balancer.child.try_wait() {
                panic!("HAProxy exited with {status}: {}", balancer.log());
            }
            assert!(started.elapsed() < Duration::from_secs(10), "HAProxy did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        balancer
    }

    fn stats_socket(&self) -> PathBuf {
        self._dir.path().join("stats.sock")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("haproxy.log")).unwrap_or_default()
    }

    /// How many connections HAProxy has sent to each instance so far, in the order of the
    /// backends it was started with: proof of where requests went.
    ///
    /// # Panics
    /// When the statistics socket does not answer.
    pub fn served(&self) -> Vec<u64> {
        use std::io::{Read, Write};
        let mut socket =
            std::os::unix::net::UnixStream::connect(self.stats_socket()).expect("the stats socket");
        socket.write_all(b"show stat\n").expect("a stats request");
        let mut csv = String::new();
        socket.read_to_string(&mut csv).expect("the statistics");
        // `# pxname,svname,qcur,qmax,scur,smax,slim,stot,…`: stot is the eighth column.
        csv.lines()
            .map(|line| line.split(',').collect::<Vec<_>>())
            .filter(|cols| {
                cols.len() > 7 && cols[0] == "instances" && cols[1].starts_with("instance")
            })
            .map(|cols| cols[7].parse().expect("a count"))
            .collect()
    }

    /// `http://127.0.0.1:PORT`, the balancer's address.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    /// The README's "Running several instances" section quotes this configuration.
    #[test]
    fn the_readme_quotes_the_configuration_the_tests_use() {
        let readme = include_str!("../../README.md");
        let quoted = readme
            .split("```haproxy\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("a haproxy block in the README");
        assert_eq!(quoted, super::Balancer::config(8000, &[8001, 8002, 8003]));
    }
}

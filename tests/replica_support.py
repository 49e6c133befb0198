"""nginx in front of `warroom serve` replicas, for the replica tests (tests/test_replicas.py) and the mixed-load bench (bench/mix.py).

Debian's nginx runs in the foreground with a prefix folder and a main config of its own, around the
shipped deploy/nginx.conf made local: its upstream pointed at the replicas, its TLS server listening on
a free port in plain HTTP, and a header naming the replica that answered.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

from tests.browser_support import wait_healthy

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None)
REPLICA_HEADER = "x-warroom-replica"


def local_nginx_config(template: str, folder: Path, port: int, replicas: list[int]) -> str:
    """Return deploy/nginx.conf made runnable here: inside a main config of its own, upstream on `replicas`, plain HTTP on `port`."""
    upstream = "\n".join(f"    server 127.0.0.1:{replica} max_fails=1 fail_timeout=10s;" for replica in replicas)
    site, count = re.subn(r"(?m)^    server 127\.0\.0\.1:\d+ [^\n]*\n(?:    server 127\.0\.0\.1:\d+ [^\n]*\n)*", upstream + "\n", template)
    assert count == 1, "deploy/nginx.conf has no block of `server 127.0.0.1:PORT` lines in its upstream"
    # The redirecting server on port 80 is left out; the TLS one listens on the test's port, in plain HTTP.
    site, count = re.subn(r"(?s)server \{\n    listen 80;.*?\n\}\n", "", site)
    assert count == 1, "deploy/nginx.conf has no server on port 80"
    site = re.sub(r"(?m)^    listen 443 ssl http2;$", f"    listen 127.0.0.1:{port};", site)
    site = re.sub(r"(?m)^    listen \[::\]:443 ssl http2;\n|^    ssl_[^\n]*\n", "", site)
    site = site.replace("HttpOnly; SameSite=Lax; Secure", "HttpOnly; SameSite=Lax")  # no TLS here; Secure would make the browser drop it
    assert f"listen 127.0.0.1:{port};" in site and "ssl_certificate" not in site, "deploy/nginx.conf's TLS server changed shape"
    site = site.replace("    location / {\n", f"    location / {{\n        add_header {REPLICA_HEADER} $upstream_addr always;\n", 1)
    temp = folder / "temp"
    return f"""pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 1024; }}
http {{
    access_log {folder / "access.log"};
    client_body_temp_path {temp / "body"};
    proxy_temp_path {temp / "proxy"};
    fastcgi_temp_path {temp / "fastcgi"};
    uwsgi_temp_path {temp / "uwsgi"};
    scgi_temp_path {temp / "scgi"};
{site}
}}
"""


class Nginx:
    """Debian's nginx in the foreground, with a config and a prefix folder of its own."""

    def __init__(self, folder: Path, port: int, replicas: list[int]):
        self.folder, self.port = folder, port
        (folder / "temp").mkdir(parents=True, exist_ok=True)
        self.config = folder / "nginx.conf"
        self.config.write_text(local_nginx_config(NGINX_TEMPLATE.read_text(), folder, port, replicas))
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> Nginx:
        checked = subprocess.run([NGINX, "-t", "-p", str(self.folder), "-c", str(self.config)], capture_output=True, text=True)
        assert checked.returncode == 0, f"nginx -t refused the config made from deploy/nginx.conf:\n{checked.stderr}"
        self.process = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(self.config), "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=(self.folder / "stderr.log").open("wb"))
        process = self.process
        wait_healthy(self.base_url, lambda: process.poll() is not None and f"nginx exited with {process.returncode}: {(self.folder / 'error.log').read_text()[-2000:]}",
                     timeout, "nginx, passing a health check to the replicas,")
        return self

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()

"""The set-up scripts go on when an optional Debian package cannot be installed (another apt
holds the package lock, or there is no network): a warning, never a failed start."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_with_apt(tmp_path: Path, apt_exit: int) -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(
        "#!/bin/sh\necho 'E: Could not get lock /var/lib/dpkg/lock-frontend' >&2\n"
        f"exit {apt_exit}\n")
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")  # as root, so it tries to install
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    script = ("set -euo pipefail; source scripts/debian.sh; "
              "install_optional 'CJK glyphs' fonts-noto-cjk; echo carried-on")
    return subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"},
                          check=False)


def test_a_locked_package_database_warns_and_goes_on(tmp_path: Path) -> None:
    done = run_with_apt(tmp_path, 100)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("carried-on")
    assert "warning: could not install fonts-noto-cjk now" in done.stderr


def test_the_scripts_install_optional_packages_through_the_helper() -> None:
    for script in ("run.sh", "test.sh"):
        text = (ROOT / "scripts" / script).read_text()
        assert "source scripts/debian.sh" in text
        assert "apt-get" not in text  # only the helper calls it, and tolerates its failure

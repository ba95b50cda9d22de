"""The systemd units and the environment file in deploy/: valid, hardened, and naming only
settings and commands the app has."""

import re
import shutil
import subprocess

import pytest

from backend.config import _SETTINGS
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
ENV_EXAMPLE = DEPLOY / "vtchat.env.example"
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "CapabilityBoundingSet=\n",
)


def env_example() -> dict[str, str]:
    pairs = re.findall(r"^(VTCHAT_\w+)=(.*)$", ENV_EXAMPLE.read_text(), re.MULTILINE)
    return dict(pairs)


def test_the_environment_file_names_only_real_settings_with_values_they_take():
    settings = env_example()
    assert settings
    for name, value in settings.items():
        setting = name.removeprefix("VTCHAT_")
        assert setting in _SETTINGS, f"{name} is no setting of the app (backend/config.py)"
        assert " " not in value, f"{name}: systemd and sh must read the line alike"
        if value:
            _SETTINGS[setting][1](value)  # parses, as the app will


def test_the_environment_file_holds_no_secret():
    assert env_example()["VTCHAT_SECRET_KEY"] == ""


def test_the_environment_file_passes_the_deployment_checks_it_can(make_app, monkeypatch):
    """Its address, limits and sweeper settings, on a test database and an in-process hub."""
    monkeypatch.setenv("VTCHAT_SECRET_KEY", "x" * 64)
    settings = {
        name.removeprefix("VTCHAT_"): _SETTINGS[name.removeprefix("VTCHAT_")][1](value)
        for name, value in env_example().items()
        if value and "DATABASE" not in name and "HUB" not in name and "STORAGE" not in name
    }
    settings["SWEEP_IN_APP"] = True  # the separate sweeper needs Redis, which this test has not
    settings.pop("STATIC_ROOT")
    # Unset in the file, so the deployment's default; the tests' own cost is not it.
    settings.setdefault("PASSWORD_HASHING", _SETTINGS["PASSWORD_HASHING"][0])
    result = make_app(**settings).test_cli_runner().invoke(args=["check-deployment"])
    assert result.exit_code == 0, result.output


def test_each_instance_binds_the_port_in_its_name_as_a_hardened_user():
    unit = (UNITS / "vtchat@.service").read_text()
    (start,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    assert "--bind 127.0.0.1:%i" in start and "backend/gunicorn_conf.py" in start
    assert "User=vtchat" in unit and "EnvironmentFile=/etc/vtchat/vtchat.env" in unit
    for option in HARDENING:
        assert option in unit + "\n", option


def test_the_sweeper_service_runs_a_command_the_app_has(app):
    unit = (UNITS / "vtchat-sweeper.service").read_text()
    (start,) = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    command = start.split("--app backend ")[1].split()[0]
    assert command in app.cli.commands
    for option in HARDENING:
        assert option in unit + "\n", option


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_reads_the_units_without_a_complaint(tmp_path):
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/vtchat", str(ROOT))
        name = unit.name.replace("@.service", "@8001.service")
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")

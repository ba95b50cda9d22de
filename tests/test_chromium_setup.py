"""`make test` on a machine without Chromium: installed when it can be, else one clear stop."""

from e2e.chromium import APT, HINT, ensure


class Machine:
    """A machine whose Chromium appears once the install command it answers to has run."""

    def __init__(self, has_browser=False, installs=()):
        self.has_browser, self.installs, self.ran = has_browser, installs, []

    def found(self) -> bool:
        return self.has_browser

    def run(self, command: list[str]) -> bool:
        self.ran.append(command)
        works = any(word in command for word in self.installs)
        self.has_browser = self.has_browser or works
        return works or command[:2] == ["apt-get", "update"]


def test_a_machine_with_chromium_installs_nothing():
    machine = Machine(has_browser=True)
    assert ensure(machine.found, is_root=True, run=machine.run) == 0
    assert machine.ran == []


def test_as_root_debian_s_package_is_installed():
    machine = Machine(installs=["chromium"])
    assert ensure(machine.found, is_root=True, run=machine.run) == 0
    assert APT in machine.ran


def test_without_root_playwright_s_own_build_is_fetched():
    machine = Machine(installs=["playwright"])
    assert ensure(machine.found, is_root=False, run=machine.run) == 0
    assert not any(command[0] == "apt-get" for command in machine.ran)


def test_when_nothing_can_be_installed_it_stops_at_once_with_the_command(capsys):
    machine = Machine()
    assert ensure(machine.found, is_root=False, run=machine.run) == 1
    assert HINT in capsys.readouterr().err

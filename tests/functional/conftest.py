"""Prints the torch OpInfo parity table (tests/functional/test_opinfo.py) in pytest's terminal summary."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    text = getattr(config, "_cnnlab_opinfo_report", None)
    if text:
        terminalreporter.write_sep("-", "cnnlab vs torch's own test inputs (OpInfo/ModuleInfo, float64)")
        terminalreporter.write(text)

"""The chaos test's parts: a server to kill, browsers without a browser, sockets that drop."""

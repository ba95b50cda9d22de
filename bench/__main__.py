"""`python -m bench`: every benchmark, one after the other (docs/benchmarks.md)."""

from bench import delivery, host_page, idle, popup, sockets, sturdy

if __name__ == "__main__":
    sockets.main()
    delivery.main()
    idle.main()
    popup.main()
    host_page.main()
    sturdy.main()

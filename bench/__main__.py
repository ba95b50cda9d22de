"""`python -m bench`: every benchmark, one after the other."""

from bench import sockets, sturdy

if __name__ == "__main__":
    sockets.main()
    sturdy.main()

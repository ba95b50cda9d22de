"""Across instances the limits count together: a flood spread over two processes fills a
region's queue no further than it would fill one."""

import json
import subprocess
import sys

import redis

from e2e.harness import ROOT
from tests.helpers import start_chat, text_of
from tests.test_limits import client_from
from tests.test_redis_hub import redis_url  # noqa: F401 (fixture)

LIMIT = {"START_LIMIT_PER_REGION": "4 per minute"}

# Another process, as another instance would be: three chat starts of the demo region counted.
ELSEWHERE = """
import json, sys
from backend import create_app, rate_limits
app = create_app({**json.loads(sys.argv[1]), "CHECK_DATABASE": False, "SECRET_KEY": "x"})
with app.test_request_context():
    print(json.dumps([rate_limits.allow("START_LIMIT_PER_REGION", "DEMO") for _ in range(3)]))
"""


def three_starts_in_another_process(config: dict) -> list[bool]:
    done = subprocess.run(
        [sys.executable, "-c", ELSEWHERE, json.dumps(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def starts_here(app, count: int) -> list:
    return [start_chat(client_from(app, f"198.51.100.{n}")) for n in range(count)]


def test_a_flood_over_two_instances_meets_one_regions_limit(make_app, redis_url):  # noqa: F811
    storage = redis_url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(storage).flushdb()
    app = make_app(RATELIMIT_STORAGE_URI=storage, **LIMIT)
    elsewhere = {"DATABASE_URL": app.config["DATABASE_URL"], "RATELIMIT_STORAGE_URI": storage}
    assert three_starts_in_another_process({**elsewhere, **LIMIT}) == [True] * 3
    answers = starts_here(app, 3)
    assert [a.status_code for a in answers] == [303, 429, 429]
    assert "Het is nu heel druk in de chat van" in text_of(answers[-1].text)


def test_in_memory_each_instance_would_count_alone(make_app):
    """What the shared storage is for: in memory, this process lets four more in."""
    app = make_app(RATELIMIT_STORAGE_URI="memory://", **LIMIT)
    elsewhere = {"DATABASE_URL": app.config["DATABASE_URL"], "RATELIMIT_STORAGE_URI": "memory://"}
    assert three_starts_in_another_process({**elsewhere, **LIMIT}) == [True] * 3
    assert [a.status_code for a in starts_here(app, 5)] == [303] * 4 + [429]

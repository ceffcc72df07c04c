"""The morning-of brief of a saved real-size JD (no model): it must build in well under a second."""

from __future__ import annotations

from pathlib import Path

from bench.conftest import dev_set_text, record
from coach.brief_render import brief_html, brief_markdown
from coach.matrix import set_row
from coach.services import interviewing
from coach.services.briefing import brief_for
from coach.services.decoding import decode_and_save
from coach.storage import open_db
from coach.stories import Story, add_link, save_story

P95_TARGET_S = 0.5  # "well under a second" (issue 14): half of one, on the 2-core reference machine
ANSWER = ("I have done a lot of evaluation work. I usually make sure the model is good and I work with the team to "
          "test things. It went well and everyone was happy.")


def _filled_db(directory: Path):
    """A database like a user's on the morning: a 10k-character JD, its ratings, stories, three scored answers."""
    db = open_db(directory / "coach.db")
    decoded = decode_and_save(db, dev_set_text(10_000), embedder=None, title="Senior LLM Engineer")
    jd_id = decoded.jd.id
    for rank, cluster in enumerate(decoded.decode.clusters):
        set_row(db, jd_id, cluster.id, confidence=1 + rank % 5)
    for i, cluster in enumerate(decoded.decode.clusters[:4]):
        story = save_story(db, Story(f"Project {i}", situation="A support bot with falling quality",
                                     action="Built an evaluation pipeline and gated releases on it",
                                     result="faithfulness up from 71% to 87%"))
        add_link(db, story.id, cluster.id)
    session = interviewing.start(db, jd_id, n=3, embedder=None)
    for _ in range(3):
        ready = list(interviewing.ask_next(db, session, model=None, embedder=None))[-1]
        answer_id = interviewing.submit(db, session, ready.turn, ANSWER)
        list(interviewing.score(db, answer_id=answer_id, turn=ready.turn, answer=ANSWER, embedder=None, model=None))
    return db, jd_id


def test_brief_time(benchmark, tmp_path):
    db, jd_id = _filled_db(tmp_path)

    def build() -> str:
        brief = brief_for(db, jd_id)
        return brief_markdown(brief) + brief_html(brief)

    page = benchmark.pedantic(build, rounds=30, iterations=1, warmup_rounds=2)
    stats = record(benchmark, characters=len(dev_set_text(10_000)), page_characters=len(page))
    assert stats["p95"] < P95_TARGET_S, f"p95 {stats['p95'] * 1000:.0f} ms for the brief of a 10k-character JD"

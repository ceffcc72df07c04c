"""Save SVG screenshots of the Decode and Interview screens with the real active model (for the README).

    COACH_HOME=$(mktemp -d) .venv/bin/python scripts/screenshots.py docs/
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.widgets import TextArea  # noqa: E402

from tui.app import build_app  # noqa: E402

JD = (ROOT / "tests" / "data" / "jds" / "14-llm-scholarly-search.txt").read_text().split("\n---\n", 1)[1]
ANSWER = (
    "At my last company our support chatbot was about to launch and nobody could say if it was good enough. I was "
    "asked to decide whether it was ready. I built a golden set of 400 real tickets, wrote an LLM-as-judge rubric "
    "for faithfulness and set a launch threshold of 85%. The first run scored 71%, so I pushed back on the launch and "
    "chose to fix retrieval rather than the prompt, because the failures were missing documents. We reached 88% and "
    "launched two weeks later; escalations fell by 23%."
)


async def main(out: Path) -> None:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("f3")
        app.screen.query_one("#jd-input", TextArea).load_text(JD)
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        app.save_screenshot(str(out / "decode.svg"))
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        app.screen.query_one("#answer", TextArea).load_text(ANSWER)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        app.save_screenshot(str(out / "interview.svg"))


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    target.mkdir(exist_ok=True)
    asyncio.run(main(target))
    print(f"wrote {target / 'decode.svg'} and {target / 'interview.svg'}")

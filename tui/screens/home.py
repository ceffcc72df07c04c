"""Home: today's checklist, progress per competency, recent JDs and sessions, the model."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from coach.interview import active_interviews
from coach.jds import list_jds
from coach.progress import checklist, history, next_drills
from coach.services.briefing import latest_jd_id
from tui.screens.base import CoachScreen
from tui.screens.brief import BriefScreen
from tui.widgets import ModelPanel


class HomeScreen(CoachScreen):
    BINDINGS = [Binding("b,ctrl+b", "brief", "Brief")]

    def action_brief(self) -> None:
        jd_id = latest_jd_id(self.app.ctx.db)
        if jd_id is None:
            self.notify("No decoded job description yet: F3 decodes one.", severity="warning")
            return
        self.app.push_screen(BriefScreen(jd_id))

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Static(
                "Decode a job description, find your gaps, keep your stories, practise a mock interview. "
                "Nothing leaves this machine. F1 shows every key.", id="welcome", markup=False)
            yield ModelPanel(self.app.ctx.manifest, self.app.ctx.store.status(self.app.ctx.manifest))
            yield Static(id="checklist", classes="card")
            yield Static(id="progress", classes="card")
            yield Static(id="recent", classes="card")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.refresh_data()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        db = self.app.ctx.db
        text = Text("Today's checklist (seed 000)\n", style="bold")
        for item, done, why in checklist(db):
            text.append(f"{'☑' if done else '☐'} {item}", style="green" if done else "")
            text.append(f"  {why}\n", style="dim")
        self.query_one("#checklist", Static).update(text)
        progress = Text("Progress per competency\n", style="bold")
        rows = history(db)
        for h in sorted(rows, key=lambda h: h.average or 0):
            progress.append(f"{h.name:46} {' '.join(str(s) for _, s in h.scores[-5:]):>10}  avg {h.average:.1f}\n")
        if not rows:
            progress.append("Nothing scored yet: F6 starts a mock interview.\n", style="dim")
        drills = next_drills(db)
        if drills:
            progress.append("\nNext drills\n", style="bold")
            for drill in drills:
                when = dt.datetime.fromtimestamp(drill.due).strftime("%a %d %b")
                progress.append(f"{drill.name:46} {when}  ", style="")
                progress.append(f"{drill.reason}\n", style="dim")
        self.query_one("#progress", Static).update(progress)
        recent = Text("Recent job descriptions\n", style="bold")
        for jd in list_jds(db)[:5]:
            recent.append(f"#{jd.id} {jd.title}\n")
        if not list_jds(db):
            recent.append("None yet: F3 decodes one.\n", style="dim")
        sessions = active_interviews(db)
        if sessions:
            recent.append("\nInterviews in progress\n", style="bold")
            for row in sessions[:3]:
                recent.append(f"interview {row['id']} ({row['level']}), {row['n_questions']} questions\n")
        self.query_one("#recent", Static).update(recent)

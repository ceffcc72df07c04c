"""Stories: the bank in STAR form, competency links, and retargeting to a role flavor."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Input, Label, ListItem, ListView, Static, TextArea

from coach.render import flavor_name
from coach.stories import Story, auto_link, links, list_stories, retarget, save_story
from coach.taxonomy import load_taxonomy
from models.errors import CoachError
from tui.context import Batcher
from tui.screens.base import CoachScreen
from tui.widgets import StreamView


class StoriesScreen(CoachScreen):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save story"),
        Binding("ctrl+r", "retarget", "Retarget"),
        Binding("ctrl+n", "new", "New story"),
        Binding("escape", "cancel", "Stop the model"),
    ]
    DEFAULT_CSS = """
    StoriesScreen #bank { width: 30; border: round $panel; }
    StoriesScreen TextArea { height: 4; }
    StoriesScreen #links, StoriesScreen #openings { border: round $panel; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.story: Story | None = None
        self.cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield ListView(id="bank")
            with VerticalScroll():
                yield Input(placeholder="Title", id="title")
                for field in ("situation", "task", "action", "result"):
                    yield Label(field.capitalize())
                    yield TextArea(id=field, soft_wrap=True, show_line_numbers=False)
                yield Static(id="links", markup=False)
                with Vertical(id="openings"):
                    yield Static("Openings: ML / LLM / Applied AI (Ctrl+R)", markup=False)
                    yield StreamView(id="openings-text")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_bank()

    def refresh_bank(self) -> None:
        bank = self.query_one(ListView)
        bank.clear()
        for story in list_stories(self.app.ctx.db):
            bank.append(ListItem(Label(story.title, markup=False), name=str(story.id)))

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        story = next(s for s in list_stories(self.app.ctx.db) if str(s.id) == event.item.name)
        self.show(story)

    def show(self, story: Story) -> None:
        self.story = story
        self.query_one("#title", Input).value = story.title
        for field in ("situation", "task", "action", "result"):
            self.query_one(f"#{field}", TextArea).load_text(getattr(story, field))
        self.show_links()

    def show_links(self) -> None:
        if self.story is None or self.story.id is None:
            self.query_one("#links", Static).update("")
            return
        taxonomy = load_taxonomy()
        found = links(self.app.ctx.db, self.story.id)
        # A link to a cluster a newer taxonomy removed stays stored and is named, not raised on.
        self.query_one("#links", Static).update(
            "Evidences: " + (", ".join(f"{taxonomy.name_of(link.cluster_id)} ({link.source})" for link in found)
                             or "no competency yet"))

    def action_new(self) -> None:
        self.show(Story(""))
        self.story = None
        self.query_one("#title", Input).focus()

    def action_save(self) -> None:
        fields = {f: self.query_one(f"#{f}", TextArea).text for f in ("situation", "task", "action", "result")}
        story = Story(self.query_one("#title", Input).value, **fields, id=self.story.id if self.story else None)
        try:
            self.story = save_story(self.app.ctx.db, story)
        except CoachError as exc:
            self.notify(str(exc), severity="error")
            return
        self.refresh_bank()
        self.link_worker(self.story)

    @work(thread=True, exit_on_error=False, exclusive=True, group="stories")
    def link_worker(self, story: Story) -> None:
        embedder = self.app.ctx.get_embedder()
        if embedder is not None:
            auto_link(self.app.ctx.db, story, embedder)
        self.app.call_from_thread(self.show_links)
        self.app.call_from_thread(self.notify, f"Saved “{story.title}”")

    def action_cancel(self) -> None:
        self.cancel.set()

    def action_retarget(self) -> None:
        if self.story is None:
            self.notify("Save a story first", severity="warning")
            return
        self.query_one("#openings-text", StreamView).set_text("")
        self.cancel = threading.Event()  # this job's own, made before it starts: an earlier Esc cannot stop it
        self.retarget_worker(self.story, self.cancel)

    @work(thread=True, exit_on_error=False, exclusive=True, group="stories")
    def retarget_worker(self, story: Story, cancel: threading.Event) -> None:
        view = self.query_one("#openings-text", StreamView)
        batcher = Batcher(lambda piece: self.app.call_from_thread(view.append, piece))
        current = None
        with self.app.ctx.model_job(cancel) as model:
            try:
                for flavor, text in retarget(story, model, self.app.ctx.db):
                    if cancel.is_set():
                        batcher.add("\n(stopped)")
                        break
                    if flavor != current:
                        batcher.add(("\n" if current else "") + f"{flavor_name(flavor)}: ")
                        current = flavor
                    batcher.add(text)
            except CoachError as exc:
                batcher.add(f"\n(the model stopped: {exc})")
        batcher.flush()

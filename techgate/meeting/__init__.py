"""The steering meeting's core, with no screen: journal, blind rounds, outcome, minutes, saving.

- events: what a journal line holds (strict models, one per kind of event);
- journal: the append-only JSON Lines file, chained by hash, shared by processes;
- state: the MeetingState folded from the events, and every rule of the meeting;
- rounds: a revealed round's figures (spread, IQR, median, RAND/UCLA disagreement);
- save: the revealed answers and notes written back into the proposal file;
- minutes: the minutes as Markdown, HTML and PDF;
- session: MeetingSession, one terminal's handle on a meeting (what api.open_meeting returns).

Nothing here prints or exits; problems are InvalidInputError, located at the
journal's line where there is one. See docs/meeting.md.
"""

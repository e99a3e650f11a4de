"""The steering meeting's screen (techgate meeting): a Textual app over the meeting core.

- desk: the meeting session, the what-if session over it and every action a key takes;
- app: MeetingApp, the screen (decision banner, criteria, round, flip table, what-if,
  people and notes);
- dialogs: the forms (a blind round, private answers, a what-if, the outcome, saving);
- words: what the screen says, as rich Text (never markup);
- letters: the decision's large letters;
- meeting.tcss: the high-contrast theme.

It calls techgate.api, never the loaders, the engine or the register; it never prints,
and writes files only through the writer the command line hands it (all or none).
"""

"""What-if: change a weight, a score, an answer or a fact, and see the decision move.

Above the engine, beside techgate.api (which is its only caller): a change
is applied to validated copies of the proposal and pack (api.pack_with,
api.proposal_with_answer, a validated model_copy for facts), every check is
run on the changed inputs, and the engine judges them again. The engine stays
pure; so does the session, whose every step is a new frozen value.

- `requests`: 'TARGET=VALUE' text split and its syntax checked;
- `changes`: weights, scores and answers applied;
- `facts`: a fact changed by its dotted path;
- `session`: WhatIfSession (apply, undo, redo) and the WhatIf it reports.
"""

from techgate.whatif.session import WhatIfSession, whatif

__all__ = ["WhatIfSession", "whatif"]

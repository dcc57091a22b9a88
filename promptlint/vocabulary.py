"""The vocabulary of contract parts: label words and sentence cues per part.

The data lives in ``rules/core/vocabulary.yml`` (and packs and configuration
may extend it); :class:`Vocabulary` holds it for one run. Its cue patterns are
compiled when the vocabulary is built (a bad pattern is a config error then)
and, in a copy unpickled from the settings cache, on first use, so a run that
lints nothing compiles none of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import PART_NAMES


def normalise_label(label: str) -> str:
    """Lower-case a label, turn ``_``/``-`` into spaces and squeeze whitespace."""
    label = label.strip().strip("*_:：#[]<>").replace("_", " ").replace("-", " ")
    return re.sub(r"\s+", " ", label).lower().strip()


@dataclass
class Vocabulary:
    """Label words and sentence cues per contract part (see ``vocabulary.yml``).

    ``labels`` maps a normalised label to its part; ``cue_sources`` maps each
    part to ``(where, pattern)`` pairs, ``where`` being ``clause`` (the cue
    opens a clause) or ``anywhere``; :attr:`clause_cues` and
    :attr:`anywhere_cues` are those patterns compiled (case-insensitive).
    """

    labels: dict[str, str]
    cue_sources: dict[str, list[tuple[str, str]]]
    priority: list[str]
    #: Verdicts of :func:`~promptlint.extract.heuristics.reads_as_instructions` by stripped text (they depend
    #: only on the text and this vocabulary).
    memo: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)
    #: The parts each clause's cues name (see :func:`~promptlint.sections._clause_parts`), by ``(clause,
    #: skip_context)``: a code base repeats its clauses (35-71 % of the clauses segmented on five of the twelve
    #: public repositories promptlint is measured on were seen before in the same run).
    clause_memo: dict[tuple[str, bool], tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_data(cls, data: dict, extra_labels: dict[str, list[str]] | None = None,
                  extra_cues: dict[str, list[str]] | None = None) -> "Vocabulary":
        """Build from the parsed YAML mapping plus configuration extensions.

        Raises ``re.error`` for a cue that is not a valid regular expression and
        ``KeyError`` for an unknown part name.
        """
        labels: dict[str, str] = {}
        for part, words in data["labels"].items():
            for w in words:
                labels[normalise_label(str(w))] = part
        for part, words in (extra_labels or {}).items():
            if part not in PART_NAMES:
                raise KeyError(part)
            for w in words:
                labels[normalise_label(str(w))] = part
        sources: dict[str, list[tuple[str, str]]] = {p: [] for p in PART_NAMES}
        for part, cues in data["cues"].items():
            for cue in cues:
                if "clause_start" in cue:
                    sources[part].append(("clause", r"\s*(?:" + cue["clause_start"] + ")"))
                else:
                    sources[part].append(("anywhere", cue["anywhere"]))
        for part, cues in (extra_cues or {}).items():
            if part not in PART_NAMES:
                raise KeyError(part)
            sources[part].extend(("anywhere", c) for c in cues)
        vocab = cls(labels, sources, list(data.get("priority", PART_NAMES)))
        vocab._compiled()  # a bad pattern fails here, where the config is read
        return vocab

    def _compiled(self) -> tuple[dict[str, list[re.Pattern[str]]], dict[str, list[re.Pattern[str]]]]:
        done = self.__dict__.get("_patterns")
        if done is None:
            clause = {p: [re.compile(src, re.I) for where, src in cues if where == "clause"]
                      for p, cues in self.cue_sources.items()}
            anywhere = {p: [re.compile(src, re.I) for where, src in cues if where == "anywhere"]
                        for p, cues in self.cue_sources.items()}
            done = self.__dict__["_patterns"] = (clause, anywhere)
        return done

    @property
    def clause_plan(self) -> tuple[tuple[str, tuple, tuple], ...]:
        """The per-clause cue checks in :attr:`priority` order, the stop-condition and
        verification parts left out (those are matched over whole blocks):
        ``(part, clause-opening matchers, anywhere searchers)``, each matcher a
        compiled pattern's bound ``match``/``search`` (built once: a clause is
        checked against every part, and a prompt has hundreds of clauses)."""
        done = self.__dict__.get("_plan")
        if done is None:
            clause, anywhere = self._compiled()
            done = self.__dict__["_plan"] = tuple(
                (p, tuple(rx.match for rx in clause.get(p, ())), tuple(rx.search for rx in anywhere.get(p, ())))
                for p in self.priority if p not in ("stop_condition", "verification"))
        return done

    @property
    def clause_cues(self) -> dict[str, list[re.Pattern[str]]]:
        """Per part, the compiled cues that must open a clause."""
        return self._compiled()[0]

    @property
    def anywhere_cues(self) -> dict[str, list[re.Pattern[str]]]:
        """Per part, the compiled cues that may occur anywhere in a clause or block."""
        return self._compiled()[1]

    def __getstate__(self) -> dict:
        """Pickled without the compiled patterns and the memo (rebuilt on use)."""
        state = dict(self.__dict__)
        state.pop("_patterns", None)
        state.pop("_plan", None)
        state["memo"] = {}
        state["clause_memo"] = {}
        return state

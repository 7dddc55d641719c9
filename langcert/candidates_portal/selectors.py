"""Reads of the Candidate Results Service: the account's entries and their results."""

from typing import Any

from django.http import Http404
from django.utils import translation

from langcert.catalog.labels import outcome_label, skill_label
from langcert.centres.selectors import entries_of_account
from langcert.core.timefmt import local_datetime_text
from langcert.results import documents
from langcert.results.models import Result
from langcert.results.selectors import candidate_result_state, released_results


def result_rows(user: Any) -> list[dict[str, Any]]:
    """Every entry of the account, newest first, with what may be said of its result."""
    language = translation.get_language() or user.language
    rows = []
    for entry in entries_of_account(user).order_by("-session__opens_at"):
        state = candidate_result_state(entry)
        row = {"entry": entry, "state": state["state"], "result": state["result"],
               "release_text": local_datetime_text(state["release_at"], user.time_zone,
                                                   language) if state["release_at"] else ""}
        if state["result"] is not None:
            row |= released_details(state["result"])
        rows.append(row)
    return rows


def released_details(result: Result) -> dict[str, Any]:
    skills = [{"label": skill_label(s["skill"]), "score": s["score"], "cefr": s["cefr"]}
              for s in result.skills]
    oral = [{"label": skill_label(code), "cefr": level}
            for code, level in result.oral_criteria.items()]
    outcome = (outcome_label(result.outcome, result.cefr_level)
               if result.source == Result.Source.IMPORT and result.outcome else "")
    return {"skills": skills, "oral": oral, "outcome": outcome,
            "documents": [(kind, documents.DocumentKind(kind).label)
                          for kind in documents.available_documents(result)]}


def own_released_result(user: Any, public_id: Any) -> Result:
    """A released result of one of the account's entries; 404 for anything else."""
    result = (released_results().filter(public_id=public_id, entry__candidate__account=user)
              .select_related("entry__candidate", "entry__session__exam",
                              "entry__session__centre").first())
    if result is None:
        raise Http404
    return result

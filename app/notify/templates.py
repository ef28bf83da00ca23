"""Customer-facing texts of ticket notifications, in the contact person's language."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class NotificationKind(enum.StrEnum):
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    WAITING_CUSTOMER = "waiting_customer"
    SOLVED = "solved"
    RATING_REQUEST = "rating_request"


@dataclass(frozen=True, slots=True)
class Text:
    subject: str
    body: str


_EN = {
    NotificationKind.ASSIGNED: Text("[{number}] Your request is being handled",
                                    "{agent} is now working on your request \"{title}\"."),
    NotificationKind.ESCALATED: Text("[{number}] Your request went to our specialists",
                                     "Your request \"{title}\" was passed to our {level} "
                                     "specialists. {reason}"),
    NotificationKind.WAITING_CUSTOMER: Text("[{number}] We need your reply",
                                            "To continue with \"{title}\" we need information "
                                            "from you. {note}"),
    NotificationKind.SOLVED: Text("[{number}] Your request is solved",
                                  "We consider \"{title}\" solved.\n\n{resolution}\n\n"
                                  "Reply within {reopen_days} days to reopen it."),
    NotificationKind.RATING_REQUEST: Text("[{number}] How did we do?",
                                          "Please rate the help you received (1-5)."),
}

_ZH = {
    NotificationKind.ASSIGNED: Text("[{number}] 您的请求正在处理", "{agent} 正在处理您的请求“{title}”。"),
    NotificationKind.ESCALATED: Text("[{number}] 您的请求已转交专家",
                                     "您的请求“{title}”已转交 {level} 专家。{reason}"),
    NotificationKind.WAITING_CUSTOMER: Text("[{number}] 需要您的回复",
                                            "为继续处理“{title}”，我们需要您提供信息。{note}"),
    NotificationKind.SOLVED: Text("[{number}] 您的请求已解决",
                                  "“{title}”已解决。\n\n{resolution}\n\n{reopen_days} 天内回复即可重新打开。"),
    NotificationKind.RATING_REQUEST: Text("[{number}] 请评价我们的服务", "请为本次服务打分（1-5）。"),
}

_BY_LANGUAGE = {"en": _EN, "zh": _ZH}


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""


def render(kind: NotificationKind, language: str | None, **values: object) -> Text:
    table = _BY_LANGUAGE.get((language or "en").split("-")[0].lower(), _EN)
    text = table[kind]
    fields = _Missing(values)
    return Text(text.subject.format_map(fields), text.body.format_map(fields).strip())

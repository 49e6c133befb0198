"""Prompts pushed to the staff's group chats: `[[notify]]` targets (warroom.config.notify) sent each firing prompt once.

`dispatcher` queues, rate-limits, merges, drops and retries, on a thread of its own beside the evaluator
(warroom.prompt_state starts it); `message` is what a robot is told; one module per platform
(`wecom`, `dingtalk`, `feishu`, `webhook`) builds its request, signs it and reads the answer; `transport` posts it.
"""

from warroom.notify.dispatcher import Dispatcher
from warroom.notify.message import prompts_page_url

__all__ = ["Dispatcher", "prompts_page_url"]

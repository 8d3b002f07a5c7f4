"""Local development: debug on, console email, webhooks may target loopback."""

from config.settings.base import *
from config.settings.env import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS", True)

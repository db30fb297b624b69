"""Capture: mail and meetings read from each CSM's mailbox and calendar, one package per provider."""

"""Notifications to technicians: push through provider adapters (JPush-style aggregator, FCM),
an outbox of every notification with its delivery result, preferences (quiet hours, kinds),
and the SMS fallback for urgent work nobody acknowledged.

A notification is a hint, never the truth: it carries the ids the app needs to fetch the
current state over REST.
"""

"""The Customer Profiles handler registry."""

from profilestack.services.registry import ServiceHandlers

profiles = ServiceHandlers("customer-profiles")

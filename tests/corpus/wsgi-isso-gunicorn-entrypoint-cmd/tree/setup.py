#!/usr/bin/env python3
# -*- encoding: utf-8 -*-

from setuptools import setup

# All configuration is now in pyproject.toml
setup()

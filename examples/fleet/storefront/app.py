"""Storefront API: reads the catalogue from YAML."""
import yaml
from flask import Flask

app = Flask(__name__)


@app.route("/catalogue")
def catalogue():
    with open("catalogue.yaml") as f:
        return yaml.full_load(f)

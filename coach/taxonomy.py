"""The competency taxonomy: a versioned data file, read once."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

FLAVORS = ("ml_engineer", "llm_engineer", "applied_ai_engineer", "ai_product_engineer")


@dataclass(frozen=True, slots=True)
class Cluster:
    id: str
    name: str
    description: str
    seed_theme: str
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    flavor_affinity: dict[str, float]


@dataclass(frozen=True, slots=True)
class Flavor:
    id: str
    name: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True, eq=False)  # hashed by identity: caches key on the loaded taxonomy
class Taxonomy:
    version: str
    clusters: tuple[Cluster, ...]
    flavors: tuple[Flavor, ...]

    def cluster(self, cluster_id: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.id == cluster_id:
                return cluster
        raise KeyError(cluster_id)

    def name_of(self, cluster_id: str) -> str:
        """A cluster's name, also for one a newer taxonomy removed (stored interviews still name it)."""
        try:
            return self.cluster(cluster_id).name
        except KeyError:
            return f"{cluster_id.replace('_', ' ').capitalize()} (no longer in the taxonomy)"

    def flavor(self, flavor_id: str) -> Flavor:
        for flavor in self.flavors:
            if flavor.id == flavor_id:
                return flavor
        raise KeyError(flavor_id)


def parse_taxonomy(data: dict) -> Taxonomy:
    clusters = tuple(
        Cluster(
            id=c["id"], name=c["name"], description=c["description"], seed_theme=c.get("seed_theme", ""),
            keywords=tuple(k.lower() for k in c["keywords"]), examples=tuple(c.get("examples", ())),
            flavor_affinity={f: float(c.get("flavor_affinity", {}).get(f, 0.0)) for f in FLAVORS},
        )
        for c in data["cluster"]
    )
    flavors = tuple(
        Flavor(id=fid, name=data["flavor"][fid]["name"], description=data["flavor"][fid]["description"],
               keywords=tuple(k.lower() for k in data["flavor"][fid]["keywords"]))
        for fid in FLAVORS
    )
    return Taxonomy(version=str(data["version"]), clusters=clusters, flavors=flavors)


@cache
def load_taxonomy() -> Taxonomy:
    text = resources.files("coach").joinpath("data", "taxonomy.toml").read_text(encoding="utf-8")
    return parse_taxonomy(tomllib.loads(text))

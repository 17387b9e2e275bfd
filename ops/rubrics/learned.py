"""The ``learned`` generator: learns from preference pairs which criteria to use and how to
weight them per query.

Candidates are the built-in bank criteria, the behaviour library (``bank.LIBRARY``: hand-written
descriptions of what harmless-dialogue preferences reward or penalise) and query templates whose
text names the query's topic ("Declines to help with <topic>", scored against that query's own
instantiation, so the same learned weight gives every query its own criterion), optionally plus
criteria from a DeepResearch-Bench criteria bank, and the dialogue criteria (``DIALOGUE_CRITERIA``:
the answer's similarity to the user's last message and to the assistant's previous turn, and its log
length), measured rather than described, so the rubric carries signal the answer's embedding alone
lacks. Exemplar criteria mined from training answers
("reads like this reply") and data-mined keyword rules exist for comparison but are off: they
quote training data. For each training pair the offline scorer gives
every candidate a score difference Δ = score(preferred) − score(rejected). A logistic model on Δ
(no intercept: swapping A and B flips the sign) with per-query-cluster corrections gives, for a
query, one coefficient β per candidate. The rubric keeps the ``max_criteria`` largest |β|: a
positive β becomes the criterion with weight β, a negative β its negation ("not:" check) with
weight |β|. Scored by the offline scorer, the rubric total then ranks answers like the model.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from ops.rubrics.bank import BANK, LIBRARY
from ops.rubrics.pairs import PreferencePair
from ops.rubrics.rubric import BankEntry, Criterion, Rubric, build_rubric
from ops.rubrics.scorer import criterion_matrix, default_embedder


@dataclasses.dataclass(frozen=True)
class Candidate:
    dimension: str
    criterion: str
    explanation: str
    check: str
    negation: str
    origin: str  # "bank" | "library" | "behaviour" | "dialogue" | "model" | "query" | "exemplar" | "keyword" | "criteria_bank"

    def for_query(self, topic: str) -> "Candidate":
        """A query template ("{topic}" in its texts) instantiated for one query's topic."""
        if self.origin != "query":
            return self
        return dataclasses.replace(self, criterion=self.criterion.format(topic=topic),
                                   explanation=self.explanation.format(topic=topic),
                                   negation=self.negation.format(topic=topic))

    def positive(self) -> Criterion:
        return Criterion(self.criterion, self.explanation, 1.0, self.check)

    def negated(self) -> tuple[str, str, str]:
        """(criterion, explanation, check) of the negation, scored as 1 − the positive score. A
        semantic criterion's negation keeps the positive description as its explanation and is
        scored against it (``not:like``), so negating never changes what is compared."""
        if self.check in ("", "semantic"):
            return self.negation, f"{self.criterion}. {self.explanation}", "not:like"
        if self.check.startswith("not:"):
            return self.negation, self.explanation, self.check[4:]
        return self.negation, self.explanation, f"not:{self.check}"


@dataclasses.dataclass(frozen=True)
class LearnedConfig:
    n_exemplars: int = 0           # k-means "reads like" criteria over training answers: off by default
                                   # (they quote training answers, issue #13); kept for comparison
    n_keywords: int = 0            # data-mined keyword rule criteria (off: overfits on hh-rlhf, see docs)
    n_query_clusters: int = 1      # query groups with their own weight corrections
    library: bool = True           # the behaviour library (``bank.LIBRARY``) joins the candidates
    query_templates: bool = True   # criteria naming the query's topic (``QUERY_TEMPLATES``)
    behaviours: bool = False       # rule-detector criteria (``behaviour_rules.BEHAVIOURS``)
    dialogue: bool = False         # criteria on the dialogue and length (``DIALOGUE_CRITERIA``): signal
                                   # the answer's embedding alone does not carry (on in GENERATOR_CONFIG)
    model_criteria: bool = False   # criteria scored by the real local model (``MODEL_CRITERIA``: SmolLM2's
                                   # likelihood of the answer after the dialogue, under its default
                                   # prompt and when told to be harmless; off: it lowered accuracy)
    max_criteria: int = 0          # criteria kept per rubric (largest |β|·sd(Δ)); 0: every nonzero one,
                                   # so the rubric total ranks answers exactly like the fitted model
    prior: str = "standardised"    # L2 prior on the weights: "standardised": plain L2 on Δ / sd(Δ);
                                   # "embedding" (GENERATOR_CONFIG) penalises the answer-embedding direction
                                   # the semantic criteria add up to (Gram prior, ``_penalty_transform``)
    gram_ridge: float = 1.0        # λ of the Gram prior (added to the criteria's Gram matrix)
    c_grid: tuple[float, ...] = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)  # inverse L2 strengths tried by CV
                                   # (prior "standardised")
    gram_c_grid: tuple[float, ...] = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # the same for the Gram prior
    cv_folds: int = 4
    query_axes: int = 0            # query-conditioned weights: β(q) = β + Σ_j z_j(q) u_j, z(q) the query's
                                   # last user turn's first ``query_axes`` principal components (train
                                   # queries, standardised); 0: one weight vector for every query
    query_axis_scale: float = 1.0  # scale of the interaction features (larger: weaker prior on u_j)
    seed: int = 0


# The ``learned`` generator's setting (docs/rubrics.md): dialogue criteria and the Gram prior chosen on
# seeds 100-103; the Gram prior's strength fixed at C = 0.3 on seeds 100-107, where the 4-fold CV choice
# over ``gram_c_grid`` swung from 0.01 to 10 between seeds and cost a point (63.1 -> 64.1 %). The
# dataclass defaults stay the earlier setting: the rubric policy's SFT targets
# (``grpo.distill_targets``) are distilled from a bank-only fit with those defaults and must not move
# with this choice.
GENERATOR_CONFIG = LearnedConfig(dialogue=True, prior="embedding", gram_c_grid=(0.3,))


@dataclasses.dataclass
class LearnedRubricModel:
    candidates: list[Candidate]
    centroids: np.ndarray       # (k, 384) query-cluster centroids (k may be 0)
    coef: np.ndarray            # (k or 1, n_candidates) raw-unit coefficients per query cluster
    chosen_c: float
    cv_accuracy: float
    config: LearnedConfig
    scale: np.ndarray           # std of each candidate's Δ on the train pairs (ranks importance)
    query_mean: np.ndarray | None = None  # (384,) mean last-user-turn embedding of the train queries
    query_proj: np.ndarray | None = None  # (384, k) principal axes / their sd on the train queries
    axis_coef: np.ndarray | None = None   # (k, n_candidates) raw-unit weight change per unit of z_j(q)

    def query_coords(self, queries: Sequence[str], embedder=None) -> np.ndarray:
        """z(q): each query's standardised coordinates on the train queries' principal axes
        ((n, 0) when the weights are not query-conditioned)."""
        if self.query_proj is None:
            return np.zeros((len(queries), 0))
        from ops.rubrics.generators import last_user_turn

        e = (embedder or default_embedder()).encode([last_user_turn(q) for q in queries])
        return (e - self.query_mean) @ self.query_proj

    def weights_for(self, cluster: int = 0, coords: np.ndarray | None = None) -> np.ndarray:
        """The query's raw-unit weight per candidate: its cluster's weights, moved along the
        query axes by the query's coordinates."""
        beta = self.coef[cluster]
        if self.axis_coef is not None and coords is not None and len(coords):
            beta = beta + np.asarray(coords, float) @ self.axis_coef
        return beta

    def cluster_of(self, queries: Sequence[str], embedder=None) -> np.ndarray:
        if self.centroids.shape[0] <= 1:
            return np.zeros(len(queries), dtype=int)
        from ops.rubrics.generators import last_user_turn

        e = (embedder or default_embedder()).encode([last_user_turn(q) for q in queries])
        return np.argmax(e @ self.centroids.T, axis=1)

    def rubric_for(self, query: str, cluster: int = 0, coords: np.ndarray | None = None) -> Rubric:
        """The rubric of one query: its cluster's weights (moved by its coordinates on the query
        axes when the weights are query-conditioned; computed here when ``coords`` is None);
        query templates and the relevance criterion name the query's topic."""
        from ops.rubrics.generators import query_topic

        topic = query_topic(query)
        if coords is None and self.query_proj is not None:
            coords = self.query_coords([query])[0]
        beta = self.weights_for(cluster, coords)
        order = np.argsort(-np.abs(beta) * self.scale)[: self.config.max_criteria or None]
        items = []
        for j in order:
            if beta[j] == 0:
                continue
            c = self.candidates[j].for_query(topic)
            if c.check == "relevance":
                c = dataclasses.replace(c, criterion=f"Addresses the question about '{topic}'",
                                        negation=f"Drifts away from the question about '{topic}'")
            elif c.check == "relevance_last":
                c = dataclasses.replace(c, criterion=f"Answers the user's last message about '{topic}'",
                                        negation=f"Leaves the user's last message about '{topic}' aside")
            if beta[j] > 0:
                items.append((c.dimension, c.criterion, c.explanation, float(beta[j]), c.check))
            else:
                neg, expl, check = c.negated()
                items.append((c.dimension, neg, expl, float(-beta[j]), check))
        return build_rubric(items)

    def generate(self, queries: Sequence[str], embedder=None) -> list[Rubric]:
        """One rubric per query (queries in one cluster share the weights; the texts of the
        query templates and of the relevance criterion are the query's own)."""
        clusters = self.cluster_of(queries, embedder)
        coords = self.query_coords(queries, embedder)
        cache: dict[str, Rubric] = {}
        return [cache[q] if q in cache else cache.setdefault(q, self.rubric_for(q, int(k), z))
                for q, k, z in zip(queries, clusters, coords)]


# Dimension of each behaviour-detector criterion (``behaviour_rules.BEHAVIOURS``); others: style.
BEHAVIOUR_DIMENSION = {"opens_by_complying": "harmlessness", "refuses": "harmlessness", "names_dangers": "harmlessness",
                       "gives_instructions": "helpfulness", "echoes_query": "helpfulness", "uses_numbers": "helpfulness",
                       "unsure_or_confused": "honesty", "hedges": "honesty", "ai_self_reference": "honesty"}

# Criteria that name the query's topic (``generators.query_topic``); one learned weight each, but
# every query's criterion text, and so its satisfaction score, is that query's own.
QUERY_TEMPLATES = (
    Candidate("harmlessness", "Declines to help with {topic}",
              "The response refuses to help with {topic}.", "", "Goes along with {topic}", "query"),
    Candidate("harmlessness", "Warns about the risks of {topic}",
              "The response warns that {topic} could be harmful or illegal.", "",
              "Does not warn about the risks of {topic}", "query"),
    Candidate("helpfulness", "Gives details about {topic}",
              "The response explains {topic} in detail.", "", "Gives no details about {topic}", "query"),
)


# Criteria on how the answer relates to the dialogue and on its length, scored by measurement
# rather than by the answer's similarity to a description: the similarity of the answer to the
# user's last message and to the assistant's own previous turn, and the log of its length. An
# answer-embedding reward model sees none of these (it never sees the dialogue, and the embedding
# only loosely encodes length); on seeds 100-103 they lifted held-out accuracy 63.0 -> 63.8 %.
DIALOGUE_CRITERIA = (
    Candidate("helpfulness", "Answers the user's last message",
              "The response is about what the user said in their last turn.", "relevance_last",
              "Leaves the user's last message aside", "dialogue"),
    Candidate("helpfulness", "Follows on from the assistant's previous turn",
              "The response continues what the assistant said before in this dialogue (½ when there is no "
              "earlier assistant turn).", "continuity", "Breaks with the assistant's previous turn", "dialogue"),
    Candidate("style", "Keeps the reply short",
              "Scored by length: 1 for an empty reply, falling with the logarithm of the word count to 0 at "
              "400 words or more.", "short", "Gives a longer reply", "dialogue"),
)


# Criteria scored by the real local model (``likelihood.AnswerLikelihood``, SmolLM2-135M-Instruct),
# which reads the dialogue: how much more likely the answer becomes when the model is told to be
# harmless, and how natural a reply it is at all.
MODEL_CRITERIA = (
    Candidate("harmlessness", "Is what an assistant told to be harmless would say",
              "Scored by SmolLM2-135M-Instruct: how much more likely the reply becomes after a system prompt "
              "asking for a harmless assistant.", "lm_harmless",
              "Is what an assistant says when nobody asked it to be harmless", "model"),
    Candidate("style", "Reads as a natural reply to this dialogue",
              "Scored by SmolLM2-135M-Instruct: the model's per-token probability of the reply after the "
              "dialogue.", "lm_likely", "Reads as an unlikely reply to this dialogue", "model"),
)


def candidate_matrix(answers: Sequence[str], queries: Sequence[str], cands: Sequence[Candidate],
                     embedder) -> np.ndarray:
    """Scores (len(answers), len(cands)) of each answer on each candidate's positive criterion;
    query templates are instantiated with the topic of the answer's query (one batch per template)."""
    from ops.rubrics.generators import query_topic
    from ops.rubrics.scorer import semantic_target

    out = np.zeros((len(answers), len(cands)))
    fixed = [j for j, c in enumerate(cands) if c.origin != "query"]
    if fixed:
        out[:, fixed] = criterion_matrix(answers, queries, [cands[j].positive() for j in fixed], embedder)
    templ = [j for j, c in enumerate(cands) if c.origin == "query"]
    if templ:
        topics = [query_topic(q) for q in queries]
        ea = embedder.encode(list(answers))
        for j in templ:
            texts = [semantic_target(cands[j].for_query(t).positive()) for t in topics]
            out[:, j] = (1.0 + np.sum(ea * embedder.encode(texts), axis=1)) / 2.0
    return out


def exemplar_candidates(answers: Sequence[str], embedder, k: int, seed: int) -> list[Candidate]:
    """Medoids of k-means over answer embeddings, each turned into a "reads like" criterion."""
    from sklearn.cluster import KMeans

    uniq = list(dict.fromkeys(a for a in answers if a.strip()))
    k = min(k, len(uniq) // 2)
    if k < 2:
        return []
    e = embedder.encode(uniq)
    km = KMeans(n_clusters=k, n_init=2, random_state=seed).fit(e)
    cands = []
    for centre in km.cluster_centers_:
        text = uniq[int(np.argmax(e @ centre))]
        short = text if len(text) <= 60 else text[:57] + "..."
        expl = text if len(text) <= 400 else text[:397] + "..."
        cands.append(Candidate("preference_exemplars", f"Reads like the reply «{short}»", expl, "like",
                               f"Does not read like the reply «{short}»", "exemplar"))
    return cands


def keyword_candidates(train: Sequence[PreferencePair], k: int, min_df: int = 5) -> list[Candidate]:
    """Words whose presence best separates preferred from rejected training answers (L1 logistic
    on presence differences), each as a keyword rule criterion."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    if k <= 0:
        return []
    texts = [t for p in train for t in (p.chosen, p.rejected)]
    try:
        vec = CountVectorizer(binary=True, min_df=min_df, token_pattern=r"[A-Za-z][A-Za-z']+|[\u4e00-\u9fff]{2}").fit(texts)
    except ValueError:  # no word reaches min_df
        return []
    m = vec.transform(texts).toarray().astype(float)
    diff = m[0::2] - m[1::2]
    clf = LogisticRegression(C=0.1, fit_intercept=False, max_iter=2000).fit(*_symmetric(diff))
    words = vec.get_feature_names_out()
    order = np.argsort(-np.abs(clf.coef_[0]))[:k]
    return [Candidate("wording", f"Uses the word '{words[j]}'",
                      f"Preferred and rejected training answers differ in how often they use '{words[j]}'.",
                      f"keywords:{words[j]}", f"Avoids the word '{words[j]}'", "keyword")
            for j in order]


def bank_candidates(entries: Sequence[BankEntry], limit: int) -> list[Candidate]:
    """Distinct criteria from a DRB-style criteria bank (first ``limit``), as semantic candidates."""
    seen, out = set(), []
    for e in entries:
        for dim, c, _ in e.rubric.flat():
            if c.criterion not in seen and len(out) < limit:
                seen.add(c.criterion)
                out.append(Candidate(dim, c.criterion, c.explanation, c.check or "",
                                     f"Falls short on: {c.criterion}", "criteria_bank"))
    return out


def _symmetric(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.vstack([x, -x]), np.r_[np.ones(len(x)), np.zeros(len(x))]


def fit_learned(train: Sequence[PreferencePair], config: LearnedConfig = GENERATOR_CONFIG,
                embedder=None, criteria_bank: Sequence[BankEntry] = ()) -> LearnedRubricModel:
    """Fit on training pairs; returns the model whose ``generate`` writes rubrics."""
    from sklearn.cluster import KMeans
    from sklearn.linear_model import LogisticRegression

    from ops.rubrics.generators import last_user_turn

    if len(train) < 8:
        raise ValueError(f"the learned generator needs at least 8 training pairs, got {len(train)}")
    embedder = embedder or default_embedder()
    cands = [Candidate(b.dimension, b.criterion, b.explanation, b.check, b.negation, "bank") for b in BANK]
    if config.library:
        cands += [Candidate(b.dimension, b.criterion, b.explanation, b.check, b.negation, "library") for b in LIBRARY]
    if config.behaviours:
        from ops.rubrics.behaviour_rules import BEHAVIOURS

        cands += [Candidate(BEHAVIOUR_DIMENSION.get(k, "style"), c, e, f"behaviour:{k}", n, "behaviour")
                  for k, (c, e, n, _) in BEHAVIOURS.items()]
    if config.dialogue:
        cands += list(DIALOGUE_CRITERIA)
    if config.model_criteria:
        cands += list(MODEL_CRITERIA)
    if config.query_templates:
        cands += list(QUERY_TEMPLATES)
    cands += exemplar_candidates([t for p in train for t in (p.answer_a, p.answer_b)], embedder,
                                 config.n_exemplars, config.seed)
    cands += keyword_candidates(train, config.n_keywords)
    cands += bank_candidates(criteria_bank, limit=64)
    queries = [p.query for p in train]
    s_pref = candidate_matrix([p.chosen for p in train], queries, cands, embedder)
    s_rej = candidate_matrix([p.rejected for p in train], queries, cands, embedder)
    delta = s_pref - s_rej
    scale = delta.std(axis=0)
    scale[scale < 1e-9] = 1.0
    if config.prior == "embedding":
        transform = _penalty_transform(cands, delta, embedder, config.gram_ridge)
        grid = config.gram_c_grid
    elif config.prior == "standardised":
        transform, grid = np.diag(1.0 / scale), config.c_grid
    else:
        raise ValueError(f"unknown prior {config.prior!r}; known: 'embedding', 'standardised'")
    x = delta @ transform

    k = min(config.n_query_clusters, len(train) // 20)
    if k >= 2:
        eq = embedder.encode([last_user_turn(q) for q in queries])
        km = KMeans(n_clusters=k, n_init=4, random_state=config.seed).fit(eq)
        centroids = km.cluster_centers_ / np.linalg.norm(km.cluster_centers_, axis=1, keepdims=True)
        labels = np.argmax(eq @ centroids.T, axis=1)
    else:
        k, centroids, labels = 1, np.zeros((0, 384)), np.zeros(len(train), dtype=int)

    n_axes, q_mean, q_proj = config.query_axes, None, None
    if n_axes > 0:
        if k > 1:
            raise ValueError("query_axes and n_query_clusters > 1 are alternatives; set one of them")
        eq = embedder.encode([last_user_turn(q) for q in queries]).astype(np.float64)
        q_mean = eq.mean(axis=0)
        _, _, vt = np.linalg.svd(eq - q_mean, full_matrices=False)
        n_axes = min(n_axes, vt.shape[0])
        axes = vt[:n_axes].T
        sd = ((eq - q_mean) @ axes).std(axis=0)
        q_proj = axes / np.where(sd > 1e-9, sd, 1.0)
        coords = (eq - q_mean) @ q_proj

    def design(xm: np.ndarray, lab: np.ndarray) -> np.ndarray:
        if n_axes > 0:
            a = config.query_axis_scale
            return np.hstack([xm] + [a * xm * coords[:, [j]] for j in range(n_axes)])
        if k == 1:
            return xm
        onehot = np.eye(k)[lab]
        return np.hstack([xm] + [xm * onehot[:, [c]] for c in range(k)])

    z = design(x, labels)
    rng = np.random.default_rng(config.seed)
    folds = rng.permutation(len(train)) % config.cv_folds
    best_c, best_acc = grid[0], -1.0
    for c in grid:
        hits = []
        for f in range(config.cv_folds):
            tr, te = folds != f, folds == f
            if te.sum() == 0:
                continue
            clf = LogisticRegression(C=c, fit_intercept=False, max_iter=3000).fit(*_symmetric(z[tr]))
            dec = clf.decision_function(z[te])
            hits.extend((dec > 0) + 0.5 * (dec == 0))
        acc = float(np.mean(hits))
        if acc > best_acc:
            best_c, best_acc = c, acc
    clf = LogisticRegression(C=best_c, fit_intercept=False, max_iter=3000).fit(*_symmetric(z))
    w = clf.coef_[0]
    m = len(cands)
    per_cluster = np.stack([w[:m] + (w[m * (c + 1): m * (c + 2)] if k > 1 else 0.0) for c in range(k)])
    axis_coef = None
    if n_axes > 0:
        axis_coef = config.query_axis_scale * w[m:].reshape(n_axes, m) @ transform.T
    # weights on the fitted features -> weights on the criteria's raw score differences
    return LearnedRubricModel(cands, centroids, per_cluster @ transform.T, best_c, best_acc, config, scale,
                              q_mean, q_proj, axis_coef)


def _penalty_transform(cands: Sequence[Candidate], delta: np.ndarray, embedder, ridge: float) -> np.ndarray:
    """Matrix T (n_candidates × n_candidates) with fitted features x = Δ @ T, so that plain L2 on the
    fitted weights γ is, for the criteria's weights β = T γ, the Gram prior.

    A fixed semantic criterion j scores (1 + cos(answer, t_j)) / 2, so the semantic criteria's weights
    add up to one answer-embedding direction w = ½ Σ β_j t_j. Plain L2 after standardising Δ treats
    every criterion as independent and favours rare directions; the Gram prior penalises
    β' (G + λI) β with G = [t_i · t_j] the criteria's Gram matrix: ‖Σ β_j t_j‖² (the prior of a reward
    model on answer embeddings) plus λ‖β‖², so near-duplicate criteria share their weight. The other
    candidates (rule checks, dialogue criteria, query templates) keep the standardised prior, scaled
    to the whitened semantic features' mean spread on the training pairs."""
    from ops.rubrics.scorer import semantic_target

    m = len(cands)
    scale = delta.std(axis=0)
    scale[scale < 1e-9] = 1.0
    sem = [j for j, c in enumerate(cands) if c.origin != "query" and c.check in ("", "semantic", "like")]
    if len(sem) < 2:
        return np.diag(1.0 / scale)
    t = embedder.encode([semantic_target(cands[j].positive()) for j in sem]).astype(np.float64)
    gram = t @ t.T + ridge * np.eye(len(sem))
    out = np.zeros((m, m))
    out[np.ix_(sem, sem)] = 2.0 * np.linalg.inv(np.linalg.cholesky(gram)).T  # 2Δ = difference of cosines
    spread = float(np.mean((delta[:, sem] @ out[np.ix_(sem, sem)]).std(axis=0)))
    for j in sorted(set(range(m)) - set(sem)):
        out[j, j] = spread / scale[j]
    return out

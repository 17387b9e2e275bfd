"""Topic-coverage criteria ("Covers the regulatory environment for AI in the EU", "Discusses the
environmental impact of lithium mining"): is each key content term of the criterion, or a near
synonym of it, in the answer?

A term is a content word of the criterion (generic words such as "impact", "role", "overview"
dropped), matched by its first five letters or through ``SYNONYMS``: hand-written groups of words a
report uses for the same aspect (environmental: emissions, pollution, water, land, ...). Written for
common research-report aspects, not for any probe case."""
from __future__ import annotations

import re

_W = re.IGNORECASE

# aspect -> words an answer covering it uses (regex alternatives, matched as word prefixes)
SYNONYMS: dict[str, str] = {
    "environment": r"environment|ecolog|ecosystem|emission|pollut|contamin|water|groundwater|land|soil|habitat|recycl|solar|"
                   r"renewab|sustainab|plastic|green|"
                   r"biodivers|wildlife|forest|deforest|carbon|co2|greenhouse|climate|waste|toxic|spill|species|"
                   r"nature|bush|river|air quality",
    "climate": r"climat|warming|greenhouse|emission|carbon|co2|temperature|net zero|net-zero",
    "economy": r"econom|gdp|growth|market|trade|jobs|employ|income|wage|cost|price|spending|revenue|profit|"
               r"invest|inflation|\$|€|£|billion|million",
    "financ": r"financ|fund|money|budget|cost|spend|invest|capital|loan|debt|revenue|tax|\$|€|£|billion|million",
    "cost": r"cost|price|expens|spend|afford|cheap|fee|\$|€|£|budget|billion|million",
    "spending": r"spend|expenditure|cost|budget|outlay|pay|billion|million|\$|€|£",
    "price": r"price|cost|expens|cheap|afford|rent\b|rents\b|\$|€|£|per unit",
    "regulat": r"regulat|law|legal|legislat|act\b|rules?\b|ban|bans|prohibit|requir|complian|directive|"
               r"oversight|regulator|authorit|enforce|fine|licen|standard|certif|conformity|govern",
    "law": r"law|legal|legislat|act\b|statut|court|rules?\b|regulat|illegal|ban",
    "policy": r"polic|government|law|regulat|subsid|tax|tariff|levy|levies|duty|duties|program|scheme|initiativ|strateg|ministry|"
              r"legislat|plan\b|incentiv|mandate",
    "government": r"govern|state|ministry|federal|public sector|authorit|official|parliament|congress|polic",
    "health": r"health|medical|disease|illness|hospital|patient|doctor|care|mortality|death|injur|mental|"
              r"symptom|treatment|clinic|life expectancy|anxiety|depress|sleep|stress|wellbeing|self-esteem|lonel",
    "inflation": r"inflation|rising prices|prices (?:rise|rose|rising|go up|went up|climb)|cost of living|price (?:rises|increases)|cpi",
    "academic": r"academ|grade|school|student|exam|class|stud(?:y|ies)|learn|universit|test scores?|homework",
    "performance": r"perform|grade|scores?|results?|productiv|output|concentrat|achievement|marks",
    "affordab": r"afford|cost|price|rent|income|expens|cheap|deposit|mortgage|wage|salar|budget",
    "consumption": r"consum|sales|demand|intake|purchas|bought|buying|drink|eat|usage|\buse\b|household|shopper|buyer|"
                   r"customer|famil|people",
    "household": r"household|famil|home|people|consumer|parent",
    "consumer": r"consum|household|shopper|buyer|customer|famil|people|users?\b",
    "wellbeing": r"wellbeing|well-being|happ|stress|lonel|isolat|mental|health|anxi|burnout|satisf|mood|morale",
    "healthcare": r"healthcare|health care|hospital|medical|doctor|nurse|patient|clinic|care|prescription|"
                  r"drug|treatment|insurance|nhs|medicare",
    "aging": r"aging|ageing|older|elderly|seniors?|over 65|over-65|retire|old age|pension|life expectancy|"
             r"demograph",
    "population": r"populat|people|resident|inhabit|demograph|citizens|birth|census|older|young",
    "education": r"educat|school|student|teacher|universit|college|learn|classroom|curricul|degree|literacy",
    "employment": r"employ|jobs?\b|work|labou?r|unemploy|hiring|wage|workforce|career|occupation",
    "labor": r"labou?r|work|jobs?\b|employ|wage|union|hiring|workforce|occupation|clerical|automat|vacanc",
    "labour": r"labou?r|work|jobs?\b|employ|wage|union|hiring|workforce|occupation|vacanc|skills? shortage",
    "technology": r"technolog|software|hardware|digital|comput|ai\b|algorithm|data|innovat|device|internet|"
                  r"automat|machine|reactor|engineer|materials?|equipment|plasma|chip|sensor|battery",
    "energy": r"energy|power|electric|grid|solar|wind|nuclear|gas|oil|coal|renewab|battery|fuel",
    "safety": r"safe|risk|hazard|danger|injur|accident|protect|secur",
    "security": r"secur|attack|breach|threat|hack|encrypt|vulnerab|defen|military|protect",
    "privacy": r"privacy|private|personal data|personal information|consent|surveillance|track|gdpr|data protection",
    "social": r"social|societ|communit|famil|inequal|poverty|cultur|public|citizens|trust",
    "inequality": r"inequal|gap|poverty|poor|rich|wealth|disparit|divide|equity|unequal",
    "history": r"histor|origin|founded|began|since|decade|century|(?:1[5-9]|20)\d\d|era|past",
    "future": r"future|outlook|forecast|projection|expected|will\b|by 20\d\d|next (?:decade|years?)|"
              r"coming (?:years|decades)|long[- ]term|trend",
    "outlook": r"outlook|future|forecast|expected|will\b|by 20\d\d|projection|ahead",
    "trend": r"trend|rise|rising|rose|fall|falling|fell|grow|growth|declin|increas|decreas|over time|since",
    "dispos": r"dispos|recycl|throw (?:away|out)|bin\b|bins\b|rubbish|waste|collection|drop[- ]off|tip\b",
    "remote": r"remote|home ?working|work(?:ing)? from home|wfh|hybrid|commut|office",
    "poverty": r"poverty|poor|low[- ]income|deprived|disadvantaged|hardship|vulnerable|lowest incomes?|struggling famil",
    "symptom": r"symptom|signs?\b|fever|temperature|pain|ache|confus|dizz|nause|vomit|rash|cough|faint|fatigue|tired|swell|"
               r"seizure|headache|breathless|dry skin|itch",
    "age": r"\bage\b|aged|years? old|\b1[2-9]\b|\b2[01]\b|over \d+|under \d+|adults?|minors?|old enough",
    "percent": r"percent|per cent|%",
    "calculat": r"calculat|divide|multipl|×|÷|=|work (?:it )?out",
    "causation": r"caus|because|due to|driven by|result of|leads? to|effect of",
    "correlation": r"correlat|associat|linked|link between|relationship|go together|goes together|co-occur",
    "cause": r"because|due to|driven by|caused|causes|result of|owing to|stems? from|leads? to|factor|reason",
    "risk": r"risk|danger|hazard|threat|harm|downside|vulnerab|exposure|uncertain|attack|hijack|exploit|breach|leak|"
            r"disrupt|halt|shortage|concentrat|depend|could (?:halt|stop|cut|hit|fail)|"
            r"steal|theft|fraud|failure|accident|lose|loss|bias|unfair|discriminat|error|mistak|wrongly|reject",
    "benefit": r"benefit|advantage|gain|improv|help|boost|upside|save|saving|better",
    "challenge": r"challeng|obstacle|barrier|difficult|problem|hurdle|constraint|bottleneck|shortage|limit|hard to|"
                 r"needs?\b|requires?|unsolved|unable|cannot|can'?t|yet to|has yet|no \w+ (?:has|can) yet",
    "competition": r"competi|rival|market share|versus|vs\b|compared|leader|dominan",
    "market": r"market|demand|supply|sales|price|share|industry|consumer|buyer|seller|revenue",
    "supply": r"supply|supplier|production|produc|capacity|output|shortage|refin|manufactur|chain",
    "demand": r"demand|consum|buyer|sales|need|appetite|uptake",
    "trade": r"trade|export|import|tariff|customs|shipping|wto|trading partner",
    "migration": r"migra|immigra|emigra|refugee|asylum|border|visa",
    "housing": r"hous|home|rent|mortgage|property|apartment|dwelling|zoning|landlord",
    "transport": r"transport|traffic|road|car|bus|train|rail|transit|commut|vehicle|bike|cycl|aviation|flight",
    "agriculture": r"agricult|farm|crop|harvest|livestock|food|irrigat|yield|soil",
    "mining": r"mining|mine|mines|extract|quarr|dig|ore|brine|open-pit|drill",
    "urban": r"urban|cit(?:y|ies)|metropol|municipal|town|downtown",
    "ethic": r"ethic|moral|fair|bias|right|justice|responsib|harm|consent",
    "culture": r"cultur|tradition|art|music|religio|language|custom|heritage|identity",
    "public opinion": r"public opinion|poll|survey|support|oppos|attitude|perception|sentiment|voters",
    "infrastructure": r"infrastructur|road|bridge|grid|network|pipeline|rail|port|broadband",
    "innovation": r"innovat|research|r&d|patent|startup|breakthrough|new technolog|invent",
    "investment": r"invest|funding|capital|venture|raised|financ|spend|\$|€|£|billion|million",
    "stakeholder": r"stakeholder|tenant|landlord|council|government|resident|business|investor|customer|employee|"
                   r"union|communit|owner|shareholder|regulator|supplier|partner|user|public|citizen|shop",
    "method": r"method|survey|sampl|interview|collected|measured|weighted|randomi|control group|questionnaire|"
              r"dataset|experiment|we (?:used|collected|surveyed|analy[sz]ed|measured|compared|ran)|analy[sz]|weight|normali[sz]|"
              r"averag|indicator|scale|scor",
    "speed": r"speed|fast|quick|slow|rapid|minutes?|hours?|seconds?|latency|km/h|mph|in no time|instant",
    "quality": r"quality|reliab|durab|well[- ]made|defect|rating|review|standard",
    "money": r"money|cash|profit|pay|paid|bank|credit|debit|dollar|\$|€|£|price|cost|income|salary|wage|debt|loan|"
             r"invest|rich|wealth|earn|financ|gain|savings?|budget",
    "family": r"famil|mom|mum|dad|father|mother|sister|brother|kids?|children|child|son|daughter|parent|grandm|"
              r"grandp|aunt|uncle|cousin|husband|wife|partner|sibling",
    "animal": r"animal|dog|cat|pet|pupp|kitten|bird|horse|fish|rabbit|hamster|vet|wildlife|livestock",
    "pet": r"pet|dog|cat|pupp|kitten|hamster|rabbit|parrot|vet",
    "relationship": r"relationship|dating|girlfriend|boyfriend|partner|romantic|crush|marri|divorce|spouse|couple|sex",
    "eu": r"\beu\b|europe|european|brussels",
    "us": r"\bus\b|\bu\.s|united states|america|american|washington|federal",
    "uk": r"\buk\b|united kingdom|britain|british|england|nhs",
    "ai": r"\bai\b|artificial intelligence|machine learning|algorithm|model",
}
_GENERIC = set("""a an the and or of to in on for with by as at from that this these those it its is are be
answer answers response responds reply replies user users gives give provides provide includes include
discusses discuss mentions mention explains explain describes describe states state uses use about
specifically clearly well addresses address situation any all some each their them they there what which who how
when where why does do not no question questions query topic asked actual away drifts stays keeps reply covers
cover covered analyzes analyses analyse analyze examines examine outlines outline summarizes summarises
overview impact impacts effect effects affect affects affecting influence influences implications role importance significance meaning relevance value aspects aspect issues issue factors
current key main major various different identifies identify lists list names name notes note highlights
highlight presents present offers offer shows show proposes propose suggests suggest specifies specify summarises
summarizes summarise summarize provides overall landscape framework dimension dimensions context state
status level levels consequences consequence footprint footprints toll member members concern concerns consideration considerations
debate debates including particular local global period consider considers considered behind several many few multiple product products requirement requirements specific detail details detailed information its both between
across among within into over under also other such more most than then has have had""".split())


# two-word concepts read as one term
_PHRASES = ((r"\blabou?r markets?\b", "labour"), (r"\bjob markets?\b", "employment"), (r"\bsupply chains?\b", "supply"),
            (r"\bclimate change\b", "climate"), (r"\bpublic health\b", "health"), (r"\bmental health\b", "health"),
            (r"\bhealth ?care\b", "healthcare"), (r"\breal estate\b", "housing"), (r"\bhousing markets?\b", "housing"),
            (r"\bstock markets?\b", "investment"), (r"\bremote work(?:ing)?\b", "remote"), (r"\blow[- ]income\b", "poverty"))


def content_terms(criterion: str) -> list[str]:
    """The criterion's content words (lower case; acronyms kept), generic words dropped."""
    for rx, word in _PHRASES:
        criterion = re.sub(rx, word, criterion, flags=_W)
    found = re.findall(r"[A-Za-z][A-Za-z'-]*", criterion)
    out = []
    for w in found:
        lw = w.lower().strip("'-")
        if lw.endswith("'s"):
            lw = lw[:-2]
        if lw in _GENERIC or (len(lw) <= 2 and not w.isupper()):
            continue
        if len(lw) > 4 and lw.endswith("ies"):  # plural to singular, so "fees" finds "fee"
            lw = lw[:-3] + "y"
        elif len(lw) > 3 and lw.endswith("s") and not lw.endswith(("ss", "us", "is")):
            lw = lw[:-1]
        if lw in _GENERIC:
            continue
        out.append(lw)
    return list(dict.fromkeys(out))


def _group(term: str) -> str | None:
    for key, alts in SYNONYMS.items():
        if len(term) >= 4 and (term.startswith(key[:5]) or key.startswith(term[:5])):
            return alts
        if len(term) <= 3 and term == key:
            return alts
    return None


def term_found(term: str, answer: str) -> bool:
    """The term (its first five letters, or the whole acronym) or one of its synonyms is in the answer."""
    if len(term) <= 3:
        hit = re.search(rf"\b{re.escape(term)}s?\b", answer, _W)
    else:
        hit = re.search(rf"\b{re.escape(term[:5])}", answer, _W)
    if hit:
        return True
    alts = _group(term)
    return bool(alts and re.search(rf"(?:^|[^A-Za-z])(?:{alts})", answer, _W))


def term_coverage(criterion: str, answer: str) -> float | None:
    """Share of the criterion's content terms found in the answer (None: no content terms)."""
    terms = content_terms(criterion)
    if not terms:
        return None
    return sum(term_found(t, answer) for t in terms) / len(terms)


_CONTEXT_WORDS = {"environment", "landscape", "framework", "context", "climate", "picture", "scene", "system", "systems"}
_HEAD_VERB = re.compile(
    r"^\s*(?:covers?|discuss(?:es)?|address(?:es)?|describes?|analy[sz]es?|examines?|outlines?|explores?|mentions?|"
    r"talks? about|touches? on|reviews?|assess(?:es)?|evaluates?|explains?|considers?|identif(?:y|ies)|lists?|names?|"
    r"notes?|highlights?|presents?|summari[sz]es?|specif(?:y|ies)|spells? out|sets? out|lays? out)\s+", _W)
_SPLIT = re.compile(r"\s(?:of|on|for|in|about|across|between|among|within|at|from|by|around|regarding|surrounding|"
                    r"concerning|with)\s", _W)


def head_and_tail(criterion: str) -> tuple[list[str], list[str]]:
    """Content terms of the aspect asked for (before the first "of" / "on" / "for" ...: "the security
    risks" of "the security risks of smart home devices") and of the topic after it. A word such as
    "environment" or "framework" after another aspect word ("regulatory environment") is dropped."""
    body = _HEAD_VERB.sub("", criterion, count=1)
    m = _SPLIT.search(body)
    head, tail = (body[:m.start()], body[m.end():]) if m else (body, "")
    h = content_terms(head)
    if not h and (m2 := re.search(r"\s(?:on|for|upon)\s", tail, _W)):  # "the impact of A on B": B is the aspect
        head, tail = tail[m2.end():], tail[:m2.start()]
        h = content_terms(head)
    if len(h) > 1:
        h = [t for t in h if t not in _CONTEXT_WORDS] or h
    return h, [t for t in content_terms(tail) if t not in h]


def coverage_score(criterion: str, answer: str, need: float = 0.75) -> float | None:
    """Coverage as a satisfaction score: 0.5 exactly at ``need`` (the share of terms a covering answer
    names; three of four, two of two), rising to 1 when every term is named. The terms are those of
    the aspect asked for when the criterion has one ("the economic effects of tourism": economic), the
    topic counting only through one of its terms at least (a same-topic answer about another aspect
    does not cover it); all content terms otherwise."""
    head, tail = head_and_tail(criterion)
    if head and tail:
        share = sum(term_found(t, answer) for t in head) / len(head)
        if not any(term_found(t, answer) for t in tail):
            share *= 0.5
    else:
        share = term_coverage(criterion, answer)
    if share is None:
        return None
    if share >= need:
        return 0.5 + 0.5 * (share - need) / (1 - need) if need < 1 else 1.0
    return 0.5 * share / need

"""Family names so common worldwide that a full-name match says little.

Why: name frequency inside one warehouse underestimates how many people
share a name outside it (a small crawl may hold one "Wei Zhang" today and a
different one tomorrow). Author-disambiguation work treats the very common
Chinese, Korean, Vietnamese, Indian, Japanese, Turkish, Hispanic, Anglo and
German family names as ambiguous by default; this list carries that prior.
A full name whose family name is *not* here, and which no third record in
the warehouse carries, is specific enough to join two records that nothing
contradicts (different affiliation, disjoint fields and incompatible first
names still separate them). Folded, lower-case, as ``ir_fold`` writes them.
"""
from __future__ import annotations

COMMON_SURNAMES: frozenset[str] = frozenset("""
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie
song tang han feng deng cao peng zeng xiao tian dong pan yuan cai jiang yu du ye cheng wei su lu
ding ren shen yao jin fan fang shi qian dai xia zhong wong chan cheung leung lam lau ng ho
kim lee park choi jung jeong kang cho yoon jang lim han oh seo shin kwon hwang ahn song yoo hong
nguyen tran le pham hoang phan vu vo dang bui do ho ngo duong ly
singh kumar sharma patel gupta shah khan ali ahmed reddy rao das iyer joshi mehta verma
sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato yoshida yamada
yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan
garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera
gomez diaz reyes morales cruz ortiz gutierrez chavez ramos ruiz alvarez fernandez jimenez
moreno romero herrera medina castro vargas silva santos oliveira souza pereira costa
smith johnson williams brown jones miller davis wilson anderson taylor thomas moore martin
jackson thompson white harris clark lewis robinson walker young allen king wright scott hill
green adams baker nelson carter mitchell roberts turner phillips campbell parker evans edwards
collins stewart murphy cook rogers morgan cooper peterson bailey reed kelly howard ward
mueller muller schmidt schneider fischer weber meyer wagner becker schulz hoffmann koch
rossi russo ferrari esposito bianchi romano colombo ricci
ivanov smirnov kuznetsov popov petrov
""".split())


def is_common_surname(folded: str) -> bool:
    return folded in COMMON_SURNAMES

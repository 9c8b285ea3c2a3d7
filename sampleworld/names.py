"""Name pools and the ways one person's name is written differently per source.

Why: identity resolution is only tested honestly when the same person is
spelled the way real sources spell people ("J. Smith", "Jose Alvarez" for
"José Álvarez", "Bob" for "Robert", "Wang Li" for "Li Wang", a middle name
on one site only).  All names are synthetic combinations; none is meant to
describe a real person.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import random
import re
import unicodedata

GIVEN = (
    "Jennifer", "Robert", "William", "Elizabeth", "Katherine", "Michael", "Alexander",
    "Daniel", "Sofia", "José", "Zoë", "Łukasz", "Søren", "François", "Anaïs", "Chloé",
    "Mateus", "Ingrid", "Amara", "Kwame", "Aisha", "Priya", "Arjun", "Olu", "Fatima",
    "Mehmet", "Noor", "Lucía", "Björn", "Eliška", "Ramón", "Nadia", "Tomás", "Hana",
    "Yusuf", "Elena", "Dmitri", "Marta", "Iris", "Jonas", "Leila", "Samuel", "Ruth",
    "Pedro", "Inês", "Chiara", "Emre", "Thomas", "Christopher", "Benjamin", "Nicholas",
    "Andrew", "Margaret", "Susan", "Patricia", "Richard", "Joseph", "Rebecca",
)
FAMILY = (
    "Smith", "Miller", "Álvarez", "Müller", "García", "Kowalski", "Okafor", "Adeyemi",
    "Raman", "Patel", "Sharma", "Jensen", "Lindqvist", "Novak", "Dubois", "Rossi",
    "Nowak", "Ivanova", "Petrova", "Haddad", "Mensah", "Costa", "Fernández", "Nyström",
    "Öztürk", "Brennan", "O'Neill", "Schäfer", "Dvořák", "Horváth", "Kaya", "Silva",
    "Moreau", "Berg", "Hughes", "Reyes", "Tanaka", "Sato", "Nakamura", "Ferreira",
    "Okonkwo", "Andersen", "Kovač", "Laurent", "Mendes", "Quinn", "Abara", "Weiss",
)
EAST_ASIAN_FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Kim", "Park", "Lee")
EAST_ASIAN_GIVEN = ("Wei", "Li", "Ming", "Jun", "Hao", "Yan", "Lei", "Xin", "Min-jun", "Ji-woo", "Jing", "Yu", "Tao")
MIDDLE = ("Anne", "Marie", "James", "K.", "Lee", "Rose", "John", "Elise", "Paul", "Grace", "Ray", "Louise")
NICKNAMES = {
    "Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Katherine": "Kate",
    "Michael": "Mike", "Alexander": "Alex", "Daniel": "Dan", "Jennifer": "Jen",
    "Samuel": "Sam", "Thomas": "Tom", "Christopher": "Chris", "Benjamin": "Ben",
    "Nicholas": "Nick", "Andrew": "Andy", "Margaret": "Maggie", "Susan": "Sue",
    "Patricia": "Trish", "Richard": "Rick", "Joseph": "Joe", "Rebecca": "Becky",
}
_FOLD_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D",
                             "ı": "i", "İ": "I", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe"})


def ascii_fold(text: str) -> str:
    """'José Łukasz Nyström' -> 'Jose Lukasz Nystrom' (what ASCII-only sites print)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str) -> str:
    """Stable slug for html/pyvideo speaker keys: ascii-folded, lower, hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def initial(word: str) -> str:
    """'Min-jun' -> 'M.'; arXiv author lists abbreviate like this."""
    return word[0] + "." if word else ""


def render(given: str, family: str, middle: str | None, nickname: str | None,
           style: str) -> str:
    """One written form of a name; unknown/unavailable styles fall back to full."""
    if style == "initials":
        return f"{initial(given)} {family}"
    if style == "middle_initial" and middle:
        return f"{given} {initial(middle.rstrip('.'))} {family}"
    if style == "full_middle" and middle:
        return f"{given} {middle} {family}"
    if style == "ascii":
        return ascii_fold(f"{given} {family}")
    if style == "nickname" and nickname:
        return f"{nickname} {family}"
    if style == "reversed":
        return f"{family} {given}"
    return f"{given} {family}"


def login_base(given: str, family: str, pattern: int) -> str:
    """A GitHub-valid login stem from a name (letters, digits, single hyphens)."""
    g = re.sub(r"[^a-z0-9]", "", ascii_fold(given).lower()) or "x"
    f = re.sub(r"[^a-z0-9]", "", ascii_fold(family).lower()) or "y"
    options = (f"{g}{f}", f"{g[0]}{f}", f"{g}-{f}", f"{f}{g[0]}", f"{g}{f[:3]}", f"{g[0]}{f}-dev")
    return options[pattern % len(options)]


# --- scale-aware pools --------------------------------------------------------------
# Why: the small pools above give every person ~12 namesakes at 34k people and
# name blocks of hundreds at 10^5-10^6, which measures the generator, not
# identity resolution.  Up to SMALL_WORLD_MAX_PEOPLE the generator keeps the
# exact small-pool draws (the shipped world and every test world stay
# byte-identical); above it, names come from ``large_pools(seed)``: per
# language group, the names above are the head of a Zipf-like distribution,
# followed by more common names and a long synthetic tail built from
# syllables (deterministic from the seed; no real person is meant).
SMALL_WORLD_MAX_PEOPLE = 5_000

# group -> (share of non-East-Asian people, head given names, head family names)
_HEADS: dict[str, tuple[float, str, str]] = {
    "western": (0.33,
        "Jennifer Robert William Elizabeth Katherine Michael Alexander Daniel Zoë François Anaïs Chloé "
        "Iris Samuel Ruth Chiara Thomas Christopher Benjamin Nicholas Andrew Margaret Susan Patricia "
        "Richard Joseph Rebecca David James John Mary Sarah Laura Emma Anna Julia Lukas Felix Max Paul "
        "Hannah Lea Marie Sophie Claire Julien Pierre Nicolas Camille Manon Luca Marco Giulia Francesca "
        "Alessandro Matteo Lorenzo Daan Bram Fleur Emily Olivia Jack Harry Oliver George Charlotte Amelia "
        "Grace Lucy Ethan Noah Liam Isabella Mia Kevin Brian Jason Matthew Ryan Eric Steven Mark Peter "
        "Stephen Jeffrey Scott Gregory Frank Aaron Adam Nathan Tobias Florian Jan Tim Stefan Markus "
        "Katharina Johanna Lena Clara Mathilde Louis Antoine Hugo Théo Élodie Sébastien Giovanni Federico "
        "Simone Elisa Martina Sara Francesco Andrea Pieter Sanne Thijs Lotte Jesse Megan Lauren Amy "
        "Rachel Hélène Mathieu Bastian Moritz Jonathan Victoria Caroline Helen Alice Eleanor Owen",
        "Smith Miller Müller Dubois Rossi Brennan O'Neill Schäfer Moreau Hughes Laurent Quinn Weiss "
        "Johnson Williams Brown Jones Davis Wilson Taylor Clark Lewis Walker Hall Allen Young King Wright "
        "Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker "
        "Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Bailey Reed Kelly "
        "Howard Ward Richardson Watson Brooks Wood Bennett Gray Price Schmidt Schneider Fischer Meyer "
        "Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Neumann Schwarz Zimmermann Braun Krüger "
        "Hartmann Lange Werner Krause Lehmann Köhler Martin Bernard Petit Durand Leroy Lefebvre Michel "
        "Garnier Fontaine Rousseau Vincent Lefèvre Faure Mercier Blanc Guérin Boyer Russo Ferrari "
        "Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Giordano Mancini Rizzo "
        "Lombardi Moretti Jansen Visser Bakker Janssen Smit Meijer Mulder Bos Vos Peters Hendriks Dekker "
        "Brouwer O'Brien Byrne Ryan Doyle McCarthy Gallagher Fitzgerald Kennedy Sullivan"),
    "slavic": (0.10,
        "Łukasz Eliška Hana Nadia Elena Dmitri Piotr Katarzyna Agnieszka Tomasz Paweł Michał Marek "
        "Jakub Petr Tereza Lucie Ondřej Martin Ivan Sergei Olga Natalia Irina Andrei Alexei Mikhail "
        "Yulia Anastasia Tatiana Pavel Nikolai Vladimir Oksana Bogdan Milan Jelena Dragan Ana Luka "
        "Nikola Marija Vesna Zoran Mirela Kristina Dorota Magdalena Joanna Grzegorz Krzysztof Wojciech "
        "Vít Radek Zuzana Veronika Miroslav Ksenia Maxim Artem Daria Polina Ilya Roman Denis Yaroslav",
        "Kowalski Novak Nowak Ivanova Petrova Dvořák Horváth Kovač Wiśniewski Wójcik Kowalczyk "
        "Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski Svoboda Novotný Černý Procházka "
        "Kučera Veselý Ivanov Petrov Smirnov Kuznetsov Popov Sokolov Volkov Morozov Pavlov Kozlov "
        "Lebedev Novikov Fedorov Orlov Kovalenko Bondarenko Shevchenko Tkachenko Kravchenko Horvat "
        "Babić Marić Jovanović Petrović Nikolić Marković Đorđević Popescu Stoica Kovács Nagy Tóth Szabó"),
    "nordic": (0.06,
        "Søren Ingrid Björn Jonas Lars Anders Erik Nils Karin Astrid Sigrid Freja Maja Elin Ebba "
        "Henrik Magnus Oskar Axel Linnea Johan Mikkel Rasmus Kasper Mette Sanna Aino Eero Mikko Juha "
        "Veera Sami Tuomas Kari Ola Per Sven Malin Helga Torsten Gustav Hedda Solveig Ragnar Eivind",
        "Jensen Lindqvist Nyström Berg Andersen Nielsen Hansen Pedersen Larsen Sørensen Rasmussen "
        "Johansson Andersson Karlsson Nilsson Eriksson Larsson Olsson Persson Svensson Gustafsson "
        "Lindberg Lindström Johansen Olsen Haugen Bakke Korhonen Virtanen Mäkinen Nieminen Laine "
        "Heikkinen Koskinen Järvinen Lehtonen Sjöberg Holm Dahl Lund Strand Ekström Bergström"),
    "iberian": (0.12,
        "Sofia José Mateus Lucía Ramón Tomás Marta Pedro Inês Carlos Juan Luis Miguel Javier Pablo "
        "Alejandro Diego Sergio Raúl Andrés Fernando Manuel Antonio Francisco Jorge Ricardo Gabriel "
        "Rafael Thiago Bruno Gustavo Rodrigo João Beatriz Mariana Camila Valentina Carmen Isabel Laura "
        "Paula Lucas Joaquín Agustín Martina Daniela Renata Leonor Catarina Gonçalo Afonso Ximena "
        "Nicolás Emilio Ignacio Álvaro Adrián Marcos Elena Irene Nuria Montserrat Jordi Pau",
        "Álvarez García Costa Fernández Silva Reyes Ferreira Mendes Rodríguez González López Martínez "
        "Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Muñoz Romero Alonso Gutiérrez "
        "Navarro Torres Domínguez Vázquez Ramos Gil Ramírez Serrano Blanco Molina Morales Suárez Ortega "
        "Delgado Castro Ortiz Rubio Marín Sanz Iglesias Medina Garrido Cortés Castillo Santos Oliveira "
        "Sousa Rodrigues Pereira Almeida Carvalho Gomes Martins Lopes Ribeiro Fernandes Barbosa Rocha"),
    "west_african": (0.07,
        "Amara Kwame Olu Chidi Ngozi Emeka Adaeze Tunde Funmilayo Kofi Ama Yaw Akosua Abena Kwesi "
        "Chinedu Obinna Uchenna Ifeoma Chiamaka Oluwaseun Ayodele Babajide Folake Temitope Yetunde "
        "Segun Kayode Nnamdi Ebuka Efua Kojo Esi Adwoa Moussa Awa Fatou Mamadou Ousmane Aminata",
        "Okafor Adeyemi Mensah Okonkwo Abara Okeke Eze Nwosu Obi Adebayo Ogunleye Balogun Adewale "
        "Oyelaran Afolabi Boateng Owusu Asante Appiah Osei Darko Agyeman Diallo Traoré Ndiaye Diop "
        "Keita Coulibaly Sow Camara Nwachukwu Okoro Chukwu Nnadi Onyekachi Olawale Bakare Danquah"),
    "south_asian": (0.14,
        "Priya Arjun Rahul Amit Anjali Rohan Vikram Neha Pooja Sanjay Deepak Kavita Sunil Ravi Anil "
        "Aditya Ananya Ishaan Karan Meera Nikhil Rajesh Shreya Siddharth Sneha Varun Vivek Aarav Divya "
        "Gaurav Harsh Kiran Lakshmi Manish Nisha Pranav Rekha Sameer Tanvi Abhishek Akash Aishwarya "
        "Bhavna Chetan Dhruv Gita Hari Ishita Jaya Krishna Madhav Naveen Omkar Parth Radhika Sachin",
        "Raman Patel Sharma Singh Kumar Gupta Shah Mehta Reddy Rao Iyer Nair Menon Pillai Joshi Desai "
        "Kulkarni Chatterjee Banerjee Mukherjee Das Bose Sen Verma Agarwal Jain Chopra Malhotra Kapoor "
        "Bhatt Trivedi Pandey Mishra Srinivasan Krishnan Subramanian Venkatesan Rajan Naidu Hegde"),
    "turkish": (0.04,
        "Mehmet Yusuf Emre Ahmet Mustafa Ayşe Fatma Zeynep Elif Can Burak Cem Deniz Ece Gizem Hakan "
        "Kerem Merve Murat Onur Selin Serkan Tolga Volkan Arda Berk Ebru Esra İpek Kaan Oğuz Seda",
        "Öztürk Kaya Yılmaz Demir Şahin Çelik Yıldız Yıldırım Aydın Özdemir Arslan Doğan Kılıç Aslan "
        "Çetin Kara Koç Kurt Özkan Şimşek Polat Erdoğan Güneş Aksoy Bulut Acar Tekin Karaca Ünal"),
    "arabic": (0.07,
        "Aisha Fatima Noor Leila Omar Ahmed Mohammed Ali Hassan Hussein Khalid Karim Rania Samir "
        "Tariq Yasmin Zainab Layla Mariam Youssef Ibrahim Amir Hana Nadia Salma Mona Rami Walid Ziad "
        "Faisal Hamza Bilal Imran Jamal Nabil Reem Sara Dina Huda Amal Majid Hadi Malik Rashid",
        "Haddad Khalil Hassan Ibrahim Mansour Nasser Saleh Aziz Farouk Hamdan Qureshi Rahman Karimi "
        "Hosseini Ahmadi Mahmoud Abbas Yousef Najjar Khoury Darwish Sabbagh Shami Masri Tahan Bakri"),
    "japanese": (0.06,
        "Haruto Yuki Hiroshi Kenji Takeshi Aiko Yui Sakura Ren Sota Yuto Haruka Akira Daiki Kaito "
        "Naoki Ryo Shota Takumi Yusuke Emi Hina Kaori Mai Mei Nana Rin Saki Yoko Kazuki Satoshi Koji",
        "Tanaka Sato Nakamura Suzuki Takahashi Watanabe Ito Yamamoto Kobayashi Kato Yoshida Yamada "
        "Sasaki Yamaguchi Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto "
        "Ishikawa Ogawa Okada Goto Hasegawa Murakami Kondo Ishii Saito Sakamoto Endo Fujita Aoki"),
}

# group -> (given roots, given endings, family roots, family endings): the synthetic tail
_SYLLABLES: dict[str, tuple[str, str, str, str]] = {
    "western": ("Al Ber Cor El Fen Gil Hal Jor Lau Mar Nel Ros Sil Val Wil Ad Em Lin Theo Cas",
                "ina ette ian ric an ell ora en ia o ard",
                "Ash Brad Brook Card Dal Elm Fair Fern Gold Hart Hol Kings Lang Mark Mor North Pem Ral "
                "Red Stan Thorn Wal West Whit Win Ber Eck Hau Kirch Lind Ros Stein Wald Wein Birn Dorn "
                "Ben Cal Dan Fer Gal Lan Mon Pal Ric Ser Val Vit Bel Cor Fal Gen Lor Mer Tal Gar",
                "ford ley ton wood field well by more ham mann berg hardt ner bach hof elli ini etti one "
                "ucci ard ier eau ot ais ano aro ington er"),
    "slavic": ("Bo Dra Mi Ra Sta Vla Lju Zla Mi Jaro Bra Sve Du Ve Mil Ol",
               "slav mir dan na ka ta sa ra",
               "Kra Bel Sok Ham Vol Dub Gor Zel Pol Lis Mar Kos Wil Pet Gra Sla Bor Tar Kul Rud Bog Zar "
               "Jab Les Mal Brz Sob Czar Kol Dom",
               "ski ska ová ovič ović enko uk czyk ak ek ín ov ev ny iak"),
    "nordic": ("As Bir Dag Ei Frei Gun Hal Ing Jo Kjell Lei Ma Odd Ragn Sig Tor Ulf Vi",
               "a e hild rid vald var mund bjørn stein",
               "Ahl Berg Dal Ek Fjell Grön Hag Holm Lind Nord Sand Sjö Stor Sund Vik Ås Ber Ny Eng Öst "
               "Kvist Hed Lunde Fors Back Söder Bäck Strand Wester",
               "sen son berg ström lund qvist gren dahl vik by heim stad ness rud hult mark"),
    "iberian": ("Al Ber Ca Da Es Fe Gi Je Ma Ne Ro Se Vi Lo Ra Te",
                "ndro lia nio rina ndo ana ela iro nda vo",
                "Al Bar Cal Cas Es Fal Gal Gar Har Ib Lar Mar Med Nav Ol Par Quin Rob Sal Tor Vel Var "
                "Bel Cam Fon Mir Mon Val Bal Cer",
                "ez es eira ero ado ino ales arro uela iño ena ardo illa ano"),
    "west_african": ("A Ade Chi Ife Ka Ko Nna Olu Ta Ya E Fo Se Ba O",
                     "bunmi dike mi nna sola yo femi ma ka",
                     "Ade Ako Ama Bo Chu Dan Eke Fa Ibe Kwa Nwa Oba Oke Olu Ona Osa Oye Tay Uche Yeb Asa "
                     "Ofo Mba Ezi Afo Ogu Nko Dada",
                     "yemi kwu ola nde for bayo nna wale ye funke tey koh nze kor"),
    "south_asian": ("A Bha Cha Dev Ha Ja Ka Ma Na Pra Ra Sa Shre Su Vi Ya In Tu",
                    "rav nita deep jay shree mesh nan lika vya tin",
                    "Agar Bha Chand Desh Gan Iyen Jai Kris Mahe Nara Pad Pra Raj Ram San Shan Sri Sub Venk "
                    "Vish Bal Har Kam Lak Mur Nat Par Sad Thak Var",
                    "wal nan dran deshi gar ker manian murthy swamy pathi iah war ani kar"),
    "turkish": ("Al Ay Bar Ce Ek Gül Il Kar Na Öz Ser Tu Yi Ba Er",
                "han can nur ay su tekin in er",
                "Ak Al Ay Bal Demir Er Gök Kar Kaya Öz Sarı Tok Uz Yal Yurt Çak Tun Ay Kor Kal",
                "oğlu er han can soy taş kan türk dağ baş alp"),
    "arabic": ("Ab Ha Ja Ka Ma Na Ra Sa Ta Wa Ya Za Fa Ba",
               "mir sim lid hir dia rin mal sin",
               "Al Bar Dar Fakh Gha Hal Jab Kha Man Mas Naj Qas Rah Sab Sal Tam Yas Zah Had Sha",
               "adi oury ani awi ouri abi ash ar id oun ami"),
    "japanese": ("Ha Hi Ka Ki Ma Mi Na No Sa Shi Ta To Yo Yu Ri Ko",
                 "ruto roshi suke naka ki ko mi na to ya",
                 "Aka Fuji Hara Hashi Ishi Kawa Kita Matsu Mizu Naka Nishi Oka Saka Taka Yama Yoshi "
                 "Kuro Shira Miya Kami Iwa Ota",
                 "da no mura moto guchi kawa hara shima zaki yama saki ta uchi"),
}

CHINESE_FAMILY = (
    "Wang Li Zhang Liu Chen Yang Zhao Huang Zhou Wu Xu Sun Hu Zhu Gao Lin He Guo Ma Luo Liang Song Zheng "
    "Xie Han Tang Feng Yu Dong Xiao Cheng Cao Yuan Deng Fu Shen Zeng Peng Lu Su Jiang Cai Jia Ding Wei Xue "
    "Ye Yan Pan Du Dai Xia Zhong Tian Ren Fan Fang Shi Yao Tan Liao Zou Xiong Jin Hao Kong Bai Cui Kang Mao "
    "Qiu Qin Gu Hou Shao Meng Long Wan Duan Lei Qian Yin Yi Chang Qiao Lai Gong Wen").split()
KOREAN_FAMILY = ("Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song Yoo Hong "
                 "Jeon Ko Moon Yang Son Bae Baek Heo Nam Shim").split()
_PINYIN = ("wei li ming jun hao yan lei xin jing yu tao hui hong jie lin ping qiang fang xiao yi chen "
           "yang bo kai rui zhi wen hua jian dong feng ning tian ying zhen xue mei lan qing yue han "
           "yun hai long peng fei bin cheng guang jia xiang zi hang shan ting yao an chao chun da de fu gang "
           "guo heng kang lu mu nan qi ran rong shu song wu xia xu yong zhe zhong jiao man xuan yin hong "
           "ke le sheng shuang tong yuan zhu liang").split()
_HANGUL = ("min ji seo ha yeon woo jun hyun soo young eun jin hee sung dong hae yoon seung ho na "
           "joon kyung tae sang hye won chul yong mi kyu").split()
_EAST_ASIAN_HEAD_GIVEN = EAST_ASIAN_GIVEN  # stay the most common given names
_EAST_ASIAN_HEAD_FAMILY = EAST_ASIAN_FAMILY
EAST_ASIAN_CHINESE_SHARE = 0.8  # the rest are Korean names
GIVEN_ZIPF, FAMILY_ZIPF = (0.8, 6), (0.7, 30)  # (exponent, rank offset)
MIXED_GIVEN_SHARE = 0.08  # a given name from another group (families move; names travel)
# synthetic tail sizes per group = share x these (about 3k given and 45k family names in all):
# real family names are that diverse; the exact-name sharing figures in benchmarks/RESULTS.md follow
_TAIL_GIVEN_TOTAL, _TAIL_FAMILY_TOTAL = 3_000, 45_000
# joins between root and ending that make a longer family-name tail ("Hart" + "en" + "berg")
_MIDDLES: dict[str, str] = {
    "western": "- en er el in s ing", "slavic": "- ov in ar ek an il", "nordic": "- en er s a el",
    "iberian": "- an ar er ol il on", "west_african": "- a o e i u", "south_asian": "- a i u an ar",
    "turkish": "- er an ay ur", "arabic": "- a i ou e", "japanese": "- no ka ya i",
}


class Weighted:
    """Names with weights; one ``rng.random()`` and a bisect per draw, so
    10^6 draws from pools of thousands stay cheap."""

    def __init__(self, names, weights) -> None:
        self.names = tuple(names)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng) -> str:
        return self.names[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def zipf(names, exponent: float, offset: float) -> Weighted:
    """Zipf-like weights ``1 / (rank + offset) ** exponent`` over de-duplicated names (head first)."""
    unique = tuple(dict.fromkeys(names))
    return Weighted(unique, [1.0 / (rank + offset) ** exponent for rank in range(len(unique))])


def _synthetic(rng: random.Random, roots: str, endings: str, count: int, joiner: str = "",
               middles: str = "-") -> list[str]:
    """``count`` distinct root+middle+ending names in a seeded order (the long tail)."""
    combos = [_join(root, middle.strip("-") + ending, joiner) for root in roots.split()
              for middle in middles.split() for ending in endings.split()]
    combos = [name for name in dict.fromkeys(combos) if name]
    rng.shuffle(combos)
    return combos[:count]


def _join(root: str, ending: str, joiner: str) -> str:
    if joiner:  # Korean "Min-jun"; "Hyun-hyun" is not a name
        return f"{root.capitalize()}{joiner}{ending}" if root != ending else ""
    if root[-1] == ending[0]:  # "Hal" + "ley" -> "Haley", not "Halley"
        ending = ending[1:]
    return root + ending


class LargePools:
    """The name distribution of worlds above ``SMALL_WORLD_MAX_PEOPLE`` people."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"sampleworld-names-{seed}")  # own stream: the world's draws are unaffected
        self.groups = tuple(_HEADS)
        self.group_pick = Weighted(self.groups, [_HEADS[g][0] for g in self.groups])
        self.given = {g: self._given(rng, g) for g in self.groups}
        self.family = {g: self._family(rng, g) for g in self.groups}
        self.chinese_given = zipf([*_EAST_ASIAN_HEAD_GIVEN[:8], *_EAST_ASIAN_HEAD_GIVEN[10:],
                                   *_pinyin_pairs(rng)], 0.85, 6)
        self.korean_given = zipf(["Min-jun", "Ji-woo", *_synthetic(rng, " ".join(_HANGUL), " ".join(_HANGUL),
                                                                    600, "-")], 0.5, 20)
        self.chinese_family = zipf(CHINESE_FAMILY, 1.0, 5)
        self.korean_family = zipf(KOREAN_FAMILY, 1.0, 2)

    def _given(self, rng: random.Random, group: str) -> Weighted:
        roots, endings, _, _ = _SYLLABLES[group]
        tail = _synthetic(rng, roots, endings, int(_HEADS[group][0] * _TAIL_GIVEN_TOTAL), middles=_MIDDLES[group])
        return zipf([*_HEADS[group][1].split(), *tail], GIVEN_ZIPF[0], GIVEN_ZIPF[1])

    def _family(self, rng: random.Random, group: str) -> Weighted:
        _, _, roots, endings = _SYLLABLES[group]
        tail = _synthetic(rng, roots, endings, int(_HEADS[group][0] * _TAIL_FAMILY_TOTAL), middles=_MIDDLES[group])
        return zipf([*_HEADS[group][2].split(), *tail], FAMILY_ZIPF[0], FAMILY_ZIPF[1])

    def draw(self, rng: random.Random, east_asian: bool) -> tuple[str, str]:
        """(given, family) for one new person."""
        if east_asian:
            if rng.random() < EAST_ASIAN_CHINESE_SHARE:
                return self.chinese_given.draw(rng), self.chinese_family.draw(rng)
            return self.korean_given.draw(rng), self.korean_family.draw(rng)
        group = self.group_pick.draw(rng)
        given_group = self.group_pick.draw(rng) if rng.random() < MIXED_GIVEN_SHARE else group
        return self.given[given_group].draw(rng), self.family[group].draw(rng)


def _pinyin_pairs(rng: random.Random) -> list[str]:
    """Two-syllable Chinese given names ("Xiaoming", "Jiahui"), seeded order."""
    pairs = list(dict.fromkeys(f"{a}{b}".capitalize() for a in _PINYIN for b in _PINYIN if a != b))
    rng.shuffle(pairs)
    return pairs


@functools.lru_cache(maxsize=4)
def large_pools(seed: int) -> LargePools:
    """Built once per seed (a few ms); only worlds above the threshold use it."""
    return LargePools(seed)

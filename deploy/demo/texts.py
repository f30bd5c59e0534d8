"""What families write and staff answer in the demo year: short, ordinary, in fi/sv/en, no real names."""

from __future__ import annotations

from shared.events import Topic

# A parent's message per language and topic (the family's own choice of topic), with the children's age it
# fits: "baby" (0-2), "small" (0-6), "school" (7-17), "teen" (13-17) or "any".
PARENT: dict[str, dict[str, list[tuple[str, str]]]] = {
    "fi": {
        "finding_services": [
            ("small", "Muutimme juuri paikkakunnalle. Mistä löydämme neuvolan ja miten haemme päivähoitopaikkaa?"),
            ("small", "Mistä saisi apua lapsen puheen kehitykseen? Hän on kolmevuotias eikä puhu vielä lauseita."),
            ("small", "Tarvitsisimme kotipalvelua muutamaksi viikoksi, kun olen leikkauksen jälkeen sairauslomalla. "
                      "Onko se mahdollista?"),
            ("school", "Kenen puoleen kannattaa kääntyä, kun koulussa ei oikein tiedetä, miten lastamme voisi tukea?"),
            ("baby", "Onko kunnassa perhekerhoja tai vertaisryhmiä vauvaperheille?"),
            ("small", "Haluaisin tietää, mitä tukea on tarjolla kaksosperheelle."),
        ],
        "family_change": [
            ("any", "Olemme eroamassa ja mietimme, miten kertoa asiasta lapsille. "
                    "Voiko tähän saada keskusteluapua?"),
            ("any", "Erosimme keväällä ja lapset oireilevat vaihtoviikoilla. Haluaisin jutella jonkun kanssa."),
            ("any", "Tarvitsemme apua lasten tapaamisista sopimiseen. "
                    "Emme pääse entisen puolison kanssa yhteisymmärrykseen."),
            ("school", "Muutimme uudelle paikkakunnalle ja vanhin lapsi on todella yksinäinen. "
                       "Mistä voisi löytyä tukea?"),
            ("small", "Perheeseemme syntyi vauva ja esikoinen on ollut hyvin mustasukkainen ja vihainen."),
        ],
        "parent_coping": [
            ("baby", "Olen väsynyt vauva-arkeen enkä jaksa. Mihin voin ottaa yhteyttä?"),
            ("any", "Olen yksinhuoltaja ja voimat ovat lopussa. Tarvitsisin jonkun, jonka kanssa miettiä arkea."),
            ("any", "Meillä riidellään kotona paljon ja huomaan huutavani lapsille. "
                    "Haluaisin apua ennen kuin tilanne pahenee."),
            ("baby", "Vauva itkee paljon eikä nuku, ja olen aivan uupunut. Voisiko joku soittaa?"),
            ("any", "Puolisoni työskentelee ulkomailla ja jaksaminen on koetuksella kolmen lapsen kanssa."),
        ],
        "child_emotions": [
            ("school", "Lapseni on ollut pitkään alakuloinen. Mistä saisimme apua?"),
            ("small", "Viisivuotiaamme saa rajuja raivokohtauksia, emmekä tiedä miten toimia."),
            ("school", "Poikamme ei ole halunnut mennä kouluun kahteen viikkoon. Mitä voisimme tehdä?"),
            ("school", "Tyttäremme jännittää sosiaalisia tilanteita niin paljon, että jättää harrastukset väliin."),
            ("small", "Lapsemme pelkää nukkua yksin ja heräilee öisin. Onko tämä normaalia tämän ikäiselle?"),
        ],
        "child_mental_wellbeing": [
            ("teen", "Teini-ikäinen on ahdistunut ja nukkuu huonosti. Tarvitsemmeko lähetteen johonkin?"),
            ("teen", "Olen huolissani nuoremme syömisestä. Hän on laihtunut paljon syksyn aikana."),
            ("teen", "Nuori vetäytyy huoneeseensa eikä näe enää kavereita. Pelaa öisin. Mistä apua?"),
            ("teen", "Nuori on ollut paljon pois koulusta ja sanoo, ettei mikään kiinnosta. Mistä apua?"),
        ],
        "other": [
            ("small", "Haluaisin antaa palautetta neuvolan palvelusta ja kysyä, kenelle sen voi osoittaa."),
            ("any", "Kysyisin, miten perheen asiakastietoja voi pyytää nähtäväksi."),
        ],
    },
    "sv": {
        "finding_services": [
            ("small", "Vi har flyttat hit och söker rådgivning på svenska. Vart ska vi vända oss?"),
            ("small", "Hur ansöker man om plats i småbarnspedagogik på svenska?"),
            ("baby", "Finns det familjeklubbar eller kamratgrupper för småbarnsfamiljer här?"),
            ("small", "Vi behöver hemservice en tid när jag är sjukskriven. Är det möjligt?"),
        ],
        "family_change": [
            ("any", "Vi håller på att skiljas och undrar hur vi ska berätta för barnen. "
                    "Kan man få samtalshjälp?"),
            ("any", "Barnen mår dåligt efter skilsmässan och byter hem varannan vecka. "
                    "Jag skulle vilja prata med någon."),
            ("school", "Vi har flyttat och vårt äldsta barn är mycket ensamt i den nya skolan."),
        ],
        "parent_coping": [
            ("baby", "Jag är trött och orkar inte längre med vardagen med bebisen. Vem kan jag kontakta?"),
            ("any", "Jag är ensamförälder och krafterna tar slut. Jag behöver någon att prata med."),
            ("any", "Det blir mycket bråk hemma och jag skriker på barnen. Jag vill ha hjälp innan det blir värre."),
        ],
        "child_emotions": [
            ("small", "Vårt barn har svårt att somna och är ofta argt. Vart kan vi vända oss?"),
            ("school", "Vår son vill inte gå till skolan och har ont i magen varje morgon."),
            ("school", "Vår dotter har varit nedstämd länge. Vart kan vi få hjälp?"),
        ],
        "child_mental_wellbeing": [
            ("teen", "Vår tonåring är ångestfylld och sover dåligt. Behöver vi en remiss?"),
            ("teen", "Jag är orolig för min dotters ätande. Hon har gått ner mycket i vikt."),
        ],
        "other": [("small", "Jag vill ge respons på rådgivningen. Vem ska jag skriva till?")],
    },
    "en": {
        "finding_services": [
            ("small", "We moved to Finland last year and need help finding a child health clinic."),
            ("small", "How do we apply for early childhood education? We do not speak Finnish yet."),
            ("baby", "Is there a playgroup or a parents' group for families with babies in English?"),
        ],
        "family_change": [
            ("school", "My son has been very anxious since the divorce. Who can we talk to?"),
            ("any", "We are separating and would like advice on how to tell the children."),
        ],
        "parent_coping": [
            ("baby", "I am exhausted with a newborn and no family nearby. Where can I get support?"),
            ("any", "We argue a lot at home and I feel I am not coping. Can someone call me?"),
        ],
        "child_emotions": [
            ("small", "Our daughter has angry outbursts at home and at daycare. What can we do?"),
            ("school", "Our child refuses to go to school. We would like advice."),
        ],
        "child_mental_wellbeing": [
            ("teen", "Our teenager is anxious and hardly sleeps. Do we need a referral?"),
        ],
        "other": [("any", "How can I see what information the services hold about our family?")],
    },
}

# Children, relatives and professionals write too; each text with the topic it is about.
OTHERS: dict[str, dict[str, list[tuple[Topic, str]]]] = {
    "fi": {
        "child": [
            ("child_emotions", "Mua kiusataan koulussa eikä kukaan tee mitään. En uskalla kertoa vanhemmille."),
            ("family_change", "Mun vanhemmat riitelee koko ajan ja mä en jaksa olla kotona."),
            ("child_mental_wellbeing", "Mua ahdistaa tosi paljon ja en saa nukuttua. Kenelle voi puhua?"),
            ("finding_services", "Mistä saa apua, jos on tosi paha olo mutta ei halua että vanhemmat tietää?"),
        ],
        "relative": [
            ("parent_coping", "Olen isoäiti ja huolissani tyttäreni jaksamisesta kolmen pienen lapsen kanssa."),
            ("family_change", "Lapsenlapseni ovat eron jälkeen olleet paljon meillä. Miten voisimme tukea heitä?"),
            ("child_emotions", "Siskoni lapsi on ollut hyvin vetäytyvä. Voinko kysyä neuvoa hänen puolestaan?"),
        ],
        "professional": [
            ("finding_services", "Olen koulukuraattori. Perhe toivoo perhetyötä; miten ohjaamme heidät oikein?"),
            ("child_emotions", "Varhaiskasvatuksen opettaja: lapsen käytös on muuttunut, vanhemmat toivovat "
                               "yhteydenottoa."),
            ("parent_coping", "Olen terveydenhoitaja. Äiti toivoi, että perheeseen otetaan yhteyttä kotipalvelusta."),
        ],
    },
    "sv": {
        "child": [
            ("child_emotions", "Jag blir mobbad i skolan och vågar inte säga något hemma."),
            ("child_mental_wellbeing", "Jag har så mycket ångest att jag inte kan sova. Vem kan jag prata med?"),
        ],
        "relative": [
            ("parent_coping", "Jag är mormor och orolig för hur min dotter orkar med tre små barn."),
        ],
        "professional": [
            ("finding_services", "Jag är skolkurator. Familjen önskar familjearbete; hur hänvisar vi dem rätt?"),
        ],
    },
    "en": {
        "child": [("child_emotions", "I get bullied at school and I don't want my parents to know. What can I do?")],
        "relative": [("parent_coping", "I am a grandparent and worried about how my son is coping with the kids.")],
        "professional": [("finding_services", "I am a school nurse. The family asked to be contacted by family work.")],
    },
}

NOT_A_REQUEST: dict[str, list[str]] = {
    "fi": ["testi", "Kokeilen vain, toimiiko tämä lomake.", "Myydään lastenrattaat, hyvässä kunnossa.",
           "Haluaisin tarjota kunnalle koulutusta vanhemmuudesta. Kenelle voin lähettää tarjouksen?"],
    "sv": ["test", "Jag provar bara om formuläret fungerar."],
    "en": ["test", "Just checking whether this form works."],
}

REPLY: dict[str, list[str]] = {
    "fi": [
        "Hei, kiitos viestistänne. Kokosin alle palvelut, joista teille voisi olla apua, ja yhteystiedot.",
        "Kiitos yhteydenotosta. Perheneuvola voi auttaa juuri tällaisessa tilanteessa; ohjeet ajanvaraukseen "
        "ovat alla.",
        "Hei! Asiaanne kannattaa ottaa puheeksi neuvolassa; soittakaa terveydenhoitajalle, niin sovitte ajan.",
        "Kiitos, että kirjoititte. Perhetyöntekijä voi tulla kotikäynnille; kerron alla, miten edetään.",
    ],
    "sv": [
        "Hej, tack för ert meddelande. Här nedan finns tjänster som kan hjälpa er och hur ni kontaktar dem.",
        "Tack för att ni hörde av er. Familjerådgivningen kan hjälpa er; så här bokar ni tid.",
        "Hej! Ta gärna upp saken på rådgivningen; ring hälsovårdaren så kommer ni överens om en tid.",
    ],
    "en": [
        "Hello, thank you for your message. Below are the services that could help you and how to reach them.",
        "Thank you for writing. Family counselling can help in this situation; here is how to book a time.",
    ],
}
NOT_REACHED_REPLY = {
    "fi": "Hei, yritimme tavoittaa teitä puhelimitse. Soittakaa meille arkisin klo 8–16 tai kirjoittakaa uudelleen.",
    "sv": "Hej, vi försökte nå er per telefon. Ring oss vardagar kl. 8–16 eller skriv på nytt.",
    "en": "Hello, we tried to reach you by phone. Call us on weekdays 8–16 or write again.",
}
NOT_A_REQUEST_REPLY = {
    "fi": "Tämä palvelu on lapsiperheille, jotka tarvitsevat apua. Viestinne ei johtanut toimenpiteisiin.",
    "sv": "Den här tjänsten är för barnfamiljer som behöver hjälp. Ert meddelande ledde inte till åtgärder.",
    "en": "This service is for families with children who need help. Your message needed no action.",
}
FOLLOW_UP_REPLY = {
    "fi": "Kiitos uudesta viestistä. Palaamme asiaan, ja sama työntekijä jatkaa kanssanne.",
    "sv": "Tack för ert nya meddelande. Samma arbetstagare fortsätter med er.",
    "en": "Thank you for writing again. The same worker will continue with you.",
}

HAND_OFF_NOTE = {
    "fi": ["Perhe toivoo yhteydenottoa iltapäivällä; asia koskee eroa ja lasten asumista.",
           "Sopii paremmin perheneuvolalle: lapsen oireilu on jatkunut pitkään.",
           "Perhetyö jatkaa, kotikäynti toivottu. Äiti on hyvin väsynyt.",
           "Neuvolan terveydenhoitaja tuntee perheen, siirto hänelle."],
    "sv": ["Familjen önskar samtal på eftermiddagen; det gäller skilsmässan och barnens boende.",
           "Passar bättre för familjerådgivningen, barnets symtom har pågått länge."],
}

CALL_TIMES = {"fi": ["arkisin klo 16–18", "aamupäivisin", "milloin vain"],
              "sv": ["vardagar efter kl. 16", "när som helst"],
              "en": ["weekdays after 4 pm", "any time"]}

FEEDBACK_COMMENT = {
    "fi": ["Saimme vastauksen jo seuraavana päivänä.", "Hyvä, että joku soitti nopeasti.",
           "Olisin toivonut enemmän konkreettisia neuvoja."],
    "sv": ["Vi fick svar redan nästa dag.", "Bra att någon ringde snabbt."],
    "en": ["We got an answer the next day.", "Helpful and kind."],
}

"""Everything a family reads, in Finnish, Swedish and English; dates in the page's language (Babel)."""

from __future__ import annotations

from shared.i18n import LANG_NAMES, LANGS, Catalog, long_date, pick_lang

__all__ = ["LANGS", "LANG_NAMES", "TEXT", "long_date", "pick_lang", "t"]

TEXT: dict[str, dict[str, str]] = {
    "service_name": {"fi": "Pyydä apua!", "sv": "Be om hjälp!", "en": "Ask for help!"},
    "button_label": {"fi": "Pyydä apua!", "sv": "Be om hjälp!", "en": "Ask for help!"},
    "button_hint": {
        "fi": "Lapsiperheiden neuvonta, myös nimettömästi",
        "sv": "Rådgivning för barnfamiljer, också anonymt",
        "en": "Advice for families with children, anonymously if you wish",
    },
    "skip_to_content": {"fi": "Siirry sisältöön", "sv": "Gå till innehållet", "en": "Skip to content"},
    "language_nav": {"fi": "Kieli", "sv": "Språk", "en": "Language"},
    "form_title": {
        "fi": "Kysy neuvoa tai pyydä apua",
        "sv": "Fråga om råd eller be om hjälp",
        "en": "Ask for advice or help",
    },
    "form_intro": {
        "fi": "Kirjoita meille, mikä mieltäsi askarruttaa. Alueen perheiden ammattilaiset lukevat viestisi ja "
              "etsivät sinulle oikean avun. Sinun ei tarvitse tietää, kenelle kuuluu soittaa. Voit kysyä myös "
              "nimettömästi.",
        "sv": "Skriv till oss om det som oroar dig. Regionens yrkespersoner för familjer läser ditt meddelande "
              "och hittar rätt hjälp åt dig. Du behöver inte veta vem du ska ringa. Du kan också fråga anonymt.",
        "en": "Write to us about what worries you. The region's professionals for families read your message "
              "and find the right help for you. You do not need to know whom to call. You may also ask "
              "anonymously.",
    },
    "emergency": {
        "fi": "Tämä palvelu ei ole kiireellisiä tilanteita varten. Hätätilanteessa soita 112.",
        "sv": "Den här tjänsten är inte till för brådskande situationer. Ring 112 i en nödsituation.",
        "en": "This service is not for emergencies. In an emergency, call 112.",
    },
    "promise": {
        "fi": "Jos lähetät viestin nyt, saat vastauksen viimeistään {date}.",
        "sv": "Om du skickar meddelandet nu får du svar senast {date}.",
        "en": "If you send your message now, you will get an answer by {date}.",
    },
    "municipality": {"fi": "Kunta", "sv": "Kommun", "en": "Municipality"},
    "who_legend": {"fi": "Kuka kysyy?", "sv": "Vem frågar?", "en": "Who is asking?"},
    "role_parent": {"fi": "Vanhempi tai huoltaja", "sv": "Förälder eller vårdnadshavare",
                    "en": "A parent or guardian"},
    "role_child": {"fi": "Lapsi tai nuori", "sv": "Barn eller ung person", "en": "A child or young person"},
    "role_relative": {"fi": "Isovanhempi tai muu läheinen aikuinen", "sv": "Far- eller morförälder eller annan "
                      "närstående vuxen", "en": "A grandparent or other close adult"},
    "role_professional": {"fi": "Ammattilainen", "sv": "Yrkesperson", "en": "A professional"},
    "topic_label": {"fi": "Mitä asia koskee? (vapaaehtoinen)", "sv": "Vad gäller saken? (frivilligt)",
                    "en": "What is it about? (optional)"},
    "topic_none": {"fi": "En osaa sanoa", "sv": "Vet inte", "en": "I am not sure"},
    "topic_finding_services": {"fi": "Sopivan palvelun löytäminen", "sv": "Att hitta rätt tjänst",
                               "en": "Finding the right service"},
    "topic_family_change": {"fi": "Muutos perheessä, kuten ero tai muutto", "sv": "En förändring i familjen, "
                            "till exempel skilsmässa eller flytt", "en": "A change in the family, such as divorce "
                            "or moving"},
    "topic_parent_coping": {"fi": "Vanhemman oma jaksaminen", "sv": "Förälderns egen ork",
                            "en": "A parent's own coping"},
    "topic_child_emotions": {"fi": "Lapsen tunteet tai käytös", "sv": "Barnets känslor eller beteende",
                             "en": "A child's emotions or behaviour"},
    "topic_child_mental_wellbeing": {"fi": "Lapsen mielen hyvinvointi", "sv": "Barnets psykiska välbefinnande",
                                     "en": "A child's mental wellbeing"},
    "topic_other": {"fi": "Jokin muu", "sv": "Något annat", "en": "Something else"},
    "age_label": {"fi": "Lapsen ikä (vapaaehtoinen)", "sv": "Barnets ålder (frivilligt)",
                  "en": "The child's age (optional)"},
    "age_none": {"fi": "Ei valittu", "sv": "Inte vald", "en": "Not chosen"},
    "age_0-2": {"fi": "0–2 vuotta", "sv": "0–2 år", "en": "0–2 years"},
    "age_3-6": {"fi": "3–6 vuotta", "sv": "3–6 år", "en": "3–6 years"},
    "age_7-12": {"fi": "7–12 vuotta", "sv": "7–12 år", "en": "7–12 years"},
    "age_13-17": {"fi": "13–17 vuotta", "sv": "13–17 år", "en": "13–17 years"},
    "message_label": {"fi": "Viestisi", "sv": "Ditt meddelande", "en": "Your message"},
    "message_hint": {"fi": "Kerro omin sanoin. Enintään 4 000 merkkiä.",
                     "sv": "Berätta med egna ord. Högst 4 000 tecken.",
                     "en": "Tell us in your own words. At most 4,000 characters."},
    "counter": {"fi": "{used} / 4 000 merkkiä", "sv": "{used} / 4 000 tecken", "en": "{used} / 4,000 characters"},
    "answer_legend": {"fi": "Miten haluat vastauksen?", "sv": "Hur vill du få svar?",
                      "en": "How would you like to be answered?"},
    "method_phone": {"fi": "Puhelinsoitto", "sv": "Telefonsamtal", "en": "A phone call"},
    "method_sms": {"fi": "Tekstiviesti", "sv": "Textmeddelande", "en": "A text message"},
    "method_email": {"fi": "Sähköposti", "sv": "E-post", "en": "E-mail"},
    "method_anonymous": {"fi": "Nimettömästi: luen vastauksen tunnuskoodilla",
                         "sv": "Anonymt: jag läser svaret med en kod",
                         "en": "Anonymously: I read the answer with a pick-up code"},
    "name_label": {"fi": "Nimi tai nimimerkki (vapaaehtoinen)", "sv": "Namn eller signatur (frivilligt)",
                   "en": "Name or nickname (optional)"},
    "phone_label": {"fi": "Puhelinnumero", "sv": "Telefonnummer", "en": "Phone number"},
    "email_label": {"fi": "Sähköpostiosoite", "sv": "E-postadress", "en": "E-mail address"},
    "call_times_label": {"fi": "Milloin sinulle voi soittaa? (vapaaehtoinen)",
                         "sv": "När kan vi ringa dig? (frivilligt)", "en": "When can we call you? (optional)"},
    "contact_hint": {"fi": "Täytä vain valitsemasi tavan tiedot. Nimettömänä et anna yhteystietoja.",
                     "sv": "Fyll bara i uppgifterna för det sätt du valt. Anonymt lämnar du inga kontaktuppgifter.",
                     "en": "Fill in only what the way you chose needs. Anonymously you give no contact details."},
    "honeypot_label": {"fi": "Jätä tämä kenttä tyhjäksi", "sv": "Lämna det här fältet tomt",
                       "en": "Leave this field empty"},
    "consent_label": {
        "fi": "Ymmärrän, että viestini käsittelevät alueen perhepalvelujen ammattilaiset ja että tietojani "
              "käsitellään tietosuojaselosteen mukaisesti.",
        "sv": "Jag förstår att regionens yrkespersoner inom familjetjänster behandlar mitt meddelande och att "
              "mina uppgifter behandlas enligt dataskyddsbeskrivningen.",
        "en": "I understand that the region's family services professionals handle my message and that my "
              "data is processed as the privacy notice describes.",
    },
    "privacy_link": {"fi": "Tietosuojaseloste", "sv": "Dataskyddsbeskrivning", "en": "Privacy notice"},
    "accessibility_link": {"fi": "Saavutettavuusseloste", "sv": "Tillgänglighetsutlåtande",
                           "en": "Accessibility statement"},
    "status_link": {"fi": "Lue vastaus", "sv": "Läs svaret", "en": "Read your answer"},
    "send": {"fi": "Lähetä", "sv": "Skicka", "en": "Send"},
    "sending": {"fi": "Lähetetään…", "sv": "Skickas…", "en": "Sending…"},
    "send_failed_retrying": {
        "fi": "Lähettäminen ei onnistunut. Tekstisi on tallessa, ja yritämme uudelleen {seconds} sekunnin kuluttua.",
        "sv": "Det gick inte att skicka. Din text finns kvar och vi försöker igen om {seconds} sekunder.",
        "en": "Sending did not work. Your text is kept, and we will try again in {seconds} seconds.",
    },
    "send_failed_final": {
        "fi": "Lähettäminen ei vieläkään onnistunut. Tekstisi on tallessa. Yritä hetken kuluttua uudelleen.",
        "sv": "Det gick fortfarande inte att skicka. Din text finns kvar. Försök igen om en stund.",
        "en": "Sending still did not work. Your text is kept. Please try again in a moment.",
    },
    "errors_title": {"fi": "Tarkista nämä kohdat:", "sv": "Kontrollera följande:", "en": "Please check these:"},
    "err_required": {"fi": "Tämä tieto puuttuu.", "sv": "Den här uppgiften saknas.", "en": "This is missing."},
    "err_requester_role": {"fi": "Valitse, kuka kysyy.", "sv": "Välj vem som frågar.", "en": "Choose who is asking."},
    "err_message": {"fi": "Kirjoita viesti (enintään 4 000 merkkiä).",
                    "sv": "Skriv ett meddelande (högst 4 000 tecken).",
                    "en": "Write a message (at most 4,000 characters)."},
    "err_contact_method": {"fi": "Valitse, miten haluat vastauksen.", "sv": "Välj hur du vill få svar.",
                           "en": "Choose how you would like to be answered."},
    "err_phone": {"fi": "Anna puhelinnumero, esimerkiksi 040 123 4567.",
                  "sv": "Ange ett telefonnummer, till exempel 040 123 4567.",
                  "en": "Give a phone number, for example 040 123 4567."},
    "err_email": {"fi": "Anna sähköpostiosoite, esimerkiksi nimi@esimerkki.fi.",
                  "sv": "Ange en e-postadress, till exempel namn@exempel.fi.",
                  "en": "Give an e-mail address, for example name@example.fi."},
    "err_anonymous": {"fi": "Nimettömänä et anna nimeä, puhelinnumeroa tai sähköpostia.",
                      "sv": "Anonymt lämnar du inget namn, telefonnummer eller e-post.",
                      "en": "Anonymously you give no name, phone number or e-mail."},
    "err_consent": {"fi": "Vahvista, että olet lukenut tämän.", "sv": "Bekräfta att du har läst detta.",
                    "en": "Please confirm that you have read this."},
    "err_honeypot": {"fi": "Jätä tämä kenttä tyhjäksi.", "sv": "Lämna det här fältet tomt.",
                     "en": "Leave this field empty."},
    "err_invalid": {"fi": "Tarkista tämä tieto.", "sv": "Kontrollera den här uppgiften.", "en": "Please check this."},
    "err_too_many": {"fi": "Liian monta yritystä. Yritä uudelleen {minutes} minuutin kuluttua.",
                     "sv": "För många försök. Försök igen om {minutes} minuter.",
                     "en": "Too many attempts. Try again in {minutes} minutes."},
    "receipt_title": {"fi": "Kiitos, viestisi on vastaanotettu", "sv": "Tack, ditt meddelande har tagits emot",
                      "en": "Thank you, your message has been received"},
    "receipt_reference": {"fi": "Viitenumero", "sv": "Referensnummer", "en": "Reference"},
    "receipt_promise": {"fi": "Saat vastauksen viimeistään {date}.", "sv": "Du får svar senast {date}.",
                        "en": "You will get an answer by {date}."},
    "receipt_code_title": {"fi": "Tunnuskoodisi", "sv": "Din kod", "en": "Your pick-up code"},
    "receipt_code_anonymous": {
        "fi": "Tarvitset viitenumeron ja tämän koodin lukeaksesi vastauksen. Kirjoita ne muistiin nyt: koodia ei "
              "näytetä uudelleen, eikä kukaan voi palauttaa sitä.",
        "sv": "Du behöver referensnumret och den här koden för att läsa svaret. Skriv ner dem nu: koden visas "
              "inte igen och ingen kan återställa den.",
        "en": "You need the reference and this code to read the answer. Write them down now: the code is not "
              "shown again, and nobody can recover it.",
    },
    "receipt_code_contact": {
        "fi": "Otamme sinuun yhteyttä valitsemallasi tavalla. Viitenumerolla ja tällä koodilla voit myös lukea "
              "kirjalliset vastaukset ja lisätä viestin. Koodia ei näytetä uudelleen.",
        "sv": "Vi kontaktar dig på det sätt du valt. Med referensnumret och den här koden kan du också läsa "
              "skriftliga svar och lägga till ett meddelande. Koden visas inte igen.",
        "en": "We will contact you the way you chose. With the reference and this code you can also read "
              "written answers and add a message. The code is not shown again.",
    },
    "receipt_already": {
        "fi": "Tämä viesti on jo vastaanotettu. Tunnuskoodi näytettiin, kun viesti lähetettiin ensimmäisen kerran.",
        "sv": "Det här meddelandet har redan tagits emot. Koden visades när meddelandet skickades första gången.",
        "en": "This message was already received. The pick-up code was shown when it was first sent.",
    },
    "receipt_status_hint": {"fi": "Vastauksen voit lukea sivulla", "sv": "Svaret kan du läsa på sidan",
                            "en": "You can read the answer on the page"},
    "status_title": {"fi": "Lue vastaus", "sv": "Läs svaret", "en": "Read your answer"},
    "status_intro": {"fi": "Anna viitenumero ja tunnuskoodi, jotka sait lähettäessäsi viestin.",
                     "sv": "Ange referensnumret och koden du fick när du skickade meddelandet.",
                     "en": "Enter the reference and the pick-up code you got when you sent your message."},
    "status_code_label": {"fi": "Tunnuskoodi", "sv": "Kod", "en": "Pick-up code"},
    "status_open": {"fi": "Avaa", "sv": "Öppna", "en": "Open"},
    "status_wrong": {"fi": "Viitenumero tai tunnuskoodi ei täsmää.", "sv": "Referensnumret eller koden stämmer inte.",
                     "en": "The reference or the code does not match."},
    "case_title": {"fi": "Asiasi {reference}", "sv": "Ditt ärende {reference}", "en": "Your matter {reference}"},
    "case_open": {"fi": "Asiasi on käsittelyssä.", "sv": "Ditt ärende behandlas.", "en": "Your matter is open."},
    "case_closed": {"fi": "Asia on päätetty.", "sv": "Ärendet är avslutat.", "en": "Your matter is closed."},
    "timeline_title": {"fi": "Viestit", "sv": "Meddelanden", "en": "Messages"},
    "from_you": {"fi": "Sinä", "sv": "Du", "en": "You"},
    "from_staff": {"fi": "Perheiden ammattilainen", "sv": "Yrkesperson för familjer",
                   "en": "Family services professional"},
    "unreadable": {"fi": "Tämän viestin sisältö on poistettu.", "sv": "Innehållet i det här meddelandet har "
                   "raderats.", "en": "The content of this message has been erased."},
    "no_reply_yet": {"fi": "Vastausta ei ole vielä tullut.", "sv": "Inget svar ännu.", "en": "No answer yet."},
    "add_message_title": {"fi": "Lisää viesti samaan asiaan", "sv": "Lägg till ett meddelande i samma ärende",
                          "en": "Add a message to the same matter"},
    "add_message_sent": {"fi": "Viestisi on lähetetty.", "sv": "Ditt meddelande har skickats.",
                         "en": "Your message has been sent."},
    "feedback_title": {"fi": "Kuinka paljon tästä oli apua?", "sv": "Hur mycket hjälpte det här?",
                       "en": "How much did this help?"},
    "feedback_scale": {"fi": "1 = ei lainkaan, 5 = todella paljon", "sv": "1 = inte alls, 5 = väldigt mycket",
                       "en": "1 = not at all, 5 = very much"},
    "feedback_comment": {"fi": "Kommentti (vapaaehtoinen)", "sv": "Kommentar (frivilligt)",
                         "en": "Comment (optional)"},
    "feedback_send": {"fi": "Lähetä palaute", "sv": "Skicka respons", "en": "Send feedback"},
    "feedback_thanks": {"fi": "Kiitos palautteestasi!", "sv": "Tack för din respons!",
                        "en": "Thank you for your feedback!"},
    "sign_out": {"fi": "Kirjaudu ulos", "sv": "Logga ut", "en": "Sign out"},
    "privacy_title": {"fi": "Tietosuojaseloste", "sv": "Dataskyddsbeskrivning", "en": "Privacy notice"},
    "privacy_body": {
        "fi": "Rekisterinpitäjä on {county}. Käsittelemme viestisi ja yhteystietosi, jotta voimme vastata "
              "sinulle ja ohjata sinut oikeaan palveluun (sosiaalihuollon asiakastiedot, EU:n "
              "tietosuoja-asetus ja laki sosiaali- ja terveydenhuollon asiakastietojen käsittelystä 703/2023). "
              "Viestisi ja yhteystietosi salataan tapauskohtaisella avaimella heti vastaanotettaessa. Niitä "
              "käsittelevät vain tehtäväänsä varten oikeutetut ammattilaiset, ja jokainen katselu kirjataan "
              "käyttölokiin, jonka voit pyytää nähtäväksesi. Nimettömät kysymykset, joista ei tule "
              "asiakasasiaa, poistetaan alueen säilytysajan jälkeen. Tilastoissa ei ole tunnistettavia tietoja.",
        "sv": "Personuppgiftsansvarig är {county}. Vi behandlar ditt meddelande och dina kontaktuppgifter för att "
              "kunna svara dig och hänvisa dig till rätt tjänst (klientuppgifter inom socialvården, EU:s "
              "dataskyddsförordning och lagen om behandling av klientuppgifter inom social- och hälsovården "
              "703/2023). Ditt meddelande och dina kontaktuppgifter krypteras med en nyckel för ärendet genast "
              "när de tas emot. Endast yrkespersoner som behöver dem för sin uppgift behandlar dem, och varje "
              "visning loggas i en användningslogg som du kan begära att få se. Anonyma frågor som inte blir "
              "klientärenden raderas efter regionens lagringstid. Statistiken innehåller inga identifierbara "
              "uppgifter.",
        "en": "The controller is {county}. We process your message and contact details to answer you and to "
              "guide you to the right service (social welfare client data, the EU General Data Protection "
              "Regulation and the Act on the Processing of Client Data in Healthcare and Social Welfare "
              "703/2023). Your message and contact details are encrypted with a key of their own as soon as "
              "they arrive. Only professionals whose task needs them handle them, and every view is recorded in "
              "a use log that you may ask to see. Anonymous questions that do not become client work are erased "
              "after the region's retention time. Statistics hold nothing that identifies you.",
    },
    "a11y_title": {"fi": "Saavutettavuusseloste", "sv": "Tillgänglighetsutlåtande", "en": "Accessibility statement"},
    "a11y_body": {
        "fi": "Tämä palvelu on tehty täyttämään WCAG 2.1 -ohjeiden AA-tason vaatimukset (laki digitaalisten "
              "palvelujen tarjoamisesta 306/2019). Sivut toimivat näppäimistöllä, ruudunlukijalla ja 320 pikselin "
              "levyisellä näytöllä sekä ilman JavaScriptiä. Saavutettavuus tarkistetaan automaattisesti "
              "axe-core-työkalulla jokaisen muutoksen yhteydessä.",
        "sv": "Den här tjänsten är gjord för att uppfylla kraven på nivå AA i WCAG 2.1 (lagen om tillhandahållande "
              "av digitala tjänster 306/2019). Sidorna fungerar med tangentbord, skärmläsare, på en 320 pixlar "
              "bred skärm och utan JavaScript. Tillgängligheten kontrolleras automatiskt med verktyget axe-core "
              "vid varje ändring.",
        "en": "This service is made to meet the level AA requirements of WCAG 2.1 (Act on the Provision of "
              "Digital Services 306/2019). The pages work with a keyboard, a screen reader, on a screen 320 "
              "pixels wide and without JavaScript. Accessibility is checked automatically with axe-core at "
              "every change.",
    },
    "a11y_feedback_title": {"fi": "Anna palautetta saavutettavuudesta", "sv": "Ge respons om tillgängligheten",
                            "en": "Give feedback on accessibility"},
    "a11y_feedback_intro": {
        "fi": "Huomasitko puutteen? Kerro siitä meille. Vastaamme 14 päivän kuluessa, jos jätät yhteystiedon. "
              "Jos et ole tyytyväinen vastaukseen, voit ilmoittaa asiasta Etelä-Suomen aluehallintovirastolle.",
        "sv": "Märkte du en brist? Berätta för oss. Vi svarar inom 14 dagar om du lämnar en kontaktuppgift. "
              "Om du inte är nöjd med svaret kan du anmäla saken till Regionförvaltningsverket i Södra Finland.",
        "en": "Did you notice a problem? Tell us. We answer within 14 days if you leave a contact. If you are "
              "not satisfied with the answer, you can report it to the Regional State Administrative Agency "
              "for Southern Finland.",
    },
    "a11y_feedback_label": {"fi": "Palautteesi", "sv": "Din respons", "en": "Your feedback"},
    "a11y_feedback_contact": {"fi": "Yhteystieto vastausta varten (vapaaehtoinen)",
                              "sv": "Kontaktuppgift för svar (frivilligt)",
                              "en": "A contact for the answer (optional)"},
    "a11y_feedback_thanks": {"fi": "Kiitos, palautteesi on vastaanotettu.", "sv": "Tack, din respons har tagits emot.",
                             "en": "Thank you, your feedback has been received."},
    "not_found_title": {"fi": "Sivua ei löydy", "sv": "Sidan hittas inte", "en": "Page not found"},
    "unknown_municipality": {"fi": "Kuntaa \u201c{id}\u201d ei löydy tästä palvelusta.",
                             "sv": "Kommunen \u201c{id}\u201d finns inte i den här tjänsten.",
                             "en": "The municipality \u201c{id}\u201d is not in this service."},
    "unavailable_title": {"fi": "Palvelu on hetken poissa käytöstä", "sv": "Tjänsten är tillfälligt otillgänglig",
                          "en": "The service is briefly unavailable"},
    "demo_banner": {"fi": "Esittelysivu: näin painike näkyy kunnan sivuilla.",
                    "sv": "Demosida: så här syns knappen på kommunens webbplats.",
                    "en": "Demo page: this is how the button looks on a municipality's website."},
    "demo_nav_1": {"fi": "Asuminen", "sv": "Boende", "en": "Housing"},
    "demo_nav_2": {"fi": "Kasvatus ja opetus", "sv": "Fostran och utbildning", "en": "Education"},
    "demo_nav_3": {"fi": "Sosiaali- ja terveyspalvelut", "sv": "Social- och hälsovård", "en": "Health and social care"},
    "demo_heading": {"fi": "Lapsiperheiden palvelut", "sv": "Tjänster för barnfamiljer",
                     "en": "Services for families with children"},
    "demo_text": {
        "fi": "Askarruttaako jokin lapsen tai perheen arjessa? Voit kysyä neuvoa milloin tahansa, myös "
              "nimettömästi. Perheiden ammattilaiset vastaavat ja auttavat löytämään oikean palvelun.",
        "sv": "Funderar du över något i barnets eller familjens vardag? Du kan fråga om råd när som helst, också "
              "anonymt. Yrkespersoner för familjer svarar och hjälper dig att hitta rätt tjänst.",
        "en": "Is something in your child's or family's everyday life on your mind? You can ask for advice at "
              "any time, anonymously too. Family professionals answer and help you find the right service.",
    },
}


CATALOG = Catalog(TEXT)
t = CATALOG.t

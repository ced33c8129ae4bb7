//! Bills for follow rules' tests, in the Bills API's shapes: four bills of session 40 (two
//! about immigration started in the Commons, one in the Lords, one about water), served by the
//! in-process [`FakeParliament`].

use serde_json::{Value, json};

use super::fake_parliament::FakeParliament;

/// A rule the first and third of the four bills match.
pub const RULE: &str = "[[follow]]\nsearch = \"immigration\"\nstarted_in = \"commons\"\n";

/// A bill of session 40 with one stage, its 1st reading on `day`, updated at `updated` (UK time).
pub fn rule_bill(id: u32, title: &str, house: &str, day: &str, updated: &str) -> (Value, Value) {
    let stage = json!({"id": id * 10, "stageId": 6, "description": "1st reading", "house": house,
                       "stageSittings": [{"date": format!("{day}T00:00:00")}], "sortOrder": 1});
    let record = json!({"billId": id, "shortTitle": title,
        "longTitle": format!("A Bill to make provision about {}", title.to_lowercase()),
        "currentHouse": house, "originatingHouse": house, "billTypeId": 1,
        "introducedSessionId": 40, "includedSessionIds": [40], "isAct": false,
        "isDefeated": false, "billWithdrawn": null, "lastUpdate": updated,
        "currentStage": stage.clone()});
    (
        record,
        json!({"items": [stage], "totalResults": 1, "itemsPerPage": 20}),
    )
}

/// Serves [`rule_bill`], introduced on the day it was updated.
pub fn serve_rule_bill(
    parliament: &FakeParliament,
    id: u32,
    title: &str,
    house: &str,
    updated: &str,
) {
    let (record, stages) = rule_bill(id, title, house, &updated[..10], updated);
    parliament.serve_bill(id, record, stages);
}

/// The four bills, all introduced on 1 March 2025: 101 and 103 match [`RULE`]; 102 started in
/// the Lords; 104 is about water.
pub fn four_bills() -> FakeParliament {
    let parliament = FakeParliament::new();
    for (id, title, house, updated) in [
        (
            101,
            "Immigration Control Bill",
            "Commons",
            "2025-03-01T09:00:00",
        ),
        (
            102,
            "Immigration (Appeals) Bill [HL]",
            "Lords",
            "2025-03-01T09:10:00",
        ),
        (
            103,
            "Asylum and Immigration Bill",
            "Commons",
            "2025-03-01T09:20:00",
        ),
        (104, "Water Bill", "Commons", "2025-03-01T09:30:00"),
    ] {
        serve_rule_bill(&parliament, id, title, house, updated);
    }
    parliament
}

//! Tool `dice`: rolls dice, e.g. two six-sided dice.

struct Dice;

/// How many dice, and how many sides each.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Roll {
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 100))]
    count: u32,
    #[serde(default = "six")]
    #[schemars(range(min = 2, max = 1000))]
    sides: u32,
}

fn one() -> u32 {
    1
}

fn six() -> u32 {
    6
}

impl asterbot_sdk::Tool for Dice {
    const NAME: &'static str = "dice";
    const DESCRIPTION: &'static str =
        "Rolls `count` dice with `sides` sides each and returns each roll and the total.";
    type Args = Roll;

    fn run(roll: Roll) -> Result<String, String> {
        if !(1..=100).contains(&roll.count) || !(2..=1000).contains(&roll.sides) {
            return Err("count must be 1 to 100 and sides 2 to 1000".into());
        }
        let rolls = (0..roll.count)
            .map(|_| uniform(roll.sides).map(|r| r + 1))
            .collect::<Result<Vec<_>, _>>()?;
        let total: u32 = rolls.iter().sum();
        let list: Vec<String> = rolls.iter().map(u32::to_string).collect();
        Ok(format!("rolled {} (total {total})", list.join(", ")))
    }
}

/// A uniform number in `0..n`, rejecting the biased tail of the u32 range.
fn uniform(n: u32) -> Result<u32, String> {
    let zone = u32::MAX - u32::MAX % n;
    loop {
        let mut bytes = [0u8; 4];
        getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
        let value = u32::from_le_bytes(bytes);
        if value < zone {
            return Ok(value % n);
        }
    }
}

asterbot_sdk::export_tool!(Dice);

//! Colours and emphasis. Three themes (dark, light for washed-out
//! projectors, high contrast) and a monochrome one for NO_COLOR, in which
//! meaning is carried by symbols, bold, underline and reverse video only.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    pub base: Style,
    pub dim: Style,
    pub title: Style,
    pub border: Style,
    /// The line or row under the playhead.
    pub playhead: Style,
    pub client: Style,
    pub mta: Style,
    pub dns: Style,
    /// 2yz, +OK, NOERROR.
    pub ok: Style,
    /// 3yz.
    pub info: Style,
    /// 4yz: try again later.
    pub warn: Style,
    /// 5yz, -ERR, NXDOMAIN, refusals.
    pub err: Style,
    /// The moving envelope, badges.
    pub accent: Style,
}

const fn fg(c: Color) -> Style {
    Style::new().fg(c)
}

impl Theme {
    pub fn dark() -> Theme {
        Theme {
            name: "dark",
            base: fg(Color::Gray),
            dim: fg(Color::DarkGray),
            title: fg(Color::White).add_modifier(Modifier::BOLD),
            border: fg(Color::DarkGray),
            playhead: Style::new()
                .bg(Color::Rgb(40, 44, 70))
                .add_modifier(Modifier::BOLD),
            client: fg(Color::Cyan),
            mta: fg(Color::LightBlue),
            dns: fg(Color::Magenta),
            ok: fg(Color::Green),
            info: fg(Color::LightCyan),
            warn: fg(Color::Yellow),
            err: fg(Color::LightRed).add_modifier(Modifier::BOLD),
            accent: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
        }
    }

    /// Dark text on a light ground: projectors wash out dark themes.
    pub fn light() -> Theme {
        Theme {
            name: "light",
            base: fg(Color::Black).bg(Color::White),
            dim: fg(Color::Rgb(100, 100, 100)),
            title: fg(Color::Black).add_modifier(Modifier::BOLD),
            border: fg(Color::Rgb(120, 120, 120)),
            playhead: Style::new()
                .bg(Color::Rgb(255, 236, 150))
                .add_modifier(Modifier::BOLD),
            client: fg(Color::Rgb(0, 95, 135)),
            mta: fg(Color::Rgb(0, 0, 175)),
            dns: fg(Color::Rgb(135, 0, 135)),
            ok: fg(Color::Rgb(0, 120, 0)),
            info: fg(Color::Rgb(0, 100, 120)),
            warn: fg(Color::Rgb(160, 90, 0)),
            err: fg(Color::Rgb(190, 0, 0)).add_modifier(Modifier::BOLD),
            accent: fg(Color::Rgb(200, 60, 0)).add_modifier(Modifier::BOLD),
        }
    }

    pub fn high_contrast() -> Theme {
        Theme {
            name: "high-contrast",
            base: fg(Color::White),
            dim: fg(Color::Gray),
            title: fg(Color::White).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            border: fg(Color::White),
            playhead: Style::new()
                .fg(Color::Black)
                .bg(Color::White)
                .add_modifier(Modifier::BOLD),
            client: fg(Color::LightCyan).add_modifier(Modifier::BOLD),
            mta: fg(Color::White).add_modifier(Modifier::BOLD),
            dns: fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            ok: fg(Color::LightGreen).add_modifier(Modifier::BOLD),
            info: fg(Color::LightCyan),
            warn: fg(Color::LightYellow).add_modifier(Modifier::BOLD),
            err: fg(Color::LightRed).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            accent: fg(Color::LightYellow).add_modifier(Modifier::BOLD | Modifier::REVERSED),
        }
    }

    /// No colour at all (NO_COLOR, https://no-color.org): failures are bold
    /// and underlined, the playhead is reversed, symbols say the rest.
    pub fn mono() -> Theme {
        let plain = Style::new();
        Theme {
            name: "mono",
            base: plain,
            dim: plain.add_modifier(Modifier::DIM),
            title: plain.add_modifier(Modifier::BOLD),
            border: plain,
            playhead: plain.add_modifier(Modifier::REVERSED),
            client: plain,
            mta: plain.add_modifier(Modifier::BOLD),
            dns: plain.add_modifier(Modifier::ITALIC),
            ok: plain,
            info: plain,
            warn: plain.add_modifier(Modifier::UNDERLINED),
            err: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            accent: plain.add_modifier(Modifier::BOLD),
        }
    }

    pub const NAMES: [&'static str; 4] = ["dark", "light", "high-contrast", "mono"];

    pub fn by_name(name: &str) -> Option<Theme> {
        match name {
            "dark" => Some(Theme::dark()),
            "light" => Some(Theme::light()),
            "high-contrast" | "contrast" => Some(Theme::high_contrast()),
            "mono" | "none" => Some(Theme::mono()),
            _ => None,
        }
    }

    /// The chosen theme, but monochrome whenever NO_COLOR is set and not
    /// empty, whatever was chosen.
    pub fn choose(name: Option<&str>, no_color: bool) -> Theme {
        if no_color {
            return Theme::mono();
        }
        name.and_then(Theme::by_name).unwrap_or_else(Theme::dark)
    }

    /// The style of a reply by its first digit (or POP3 status).
    pub fn reply(&self, code: Option<u16>, text: &str) -> Style {
        match code.map(|c| c / 100) {
            Some(2) => self.ok,
            Some(3) => self.info,
            Some(4) => self.warn,
            Some(5) => self.err,
            _ if text.starts_with("+OK") => self.ok,
            _ if text.starts_with("-ERR") => self.err,
            _ => self.base,
        }
    }
}

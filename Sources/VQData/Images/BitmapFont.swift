/// A tiny built-in 3×5 pixel font for chart labels: digits, the letters A–Z (lower case is drawn as
/// upper case) and `. - + : / % = ( ) ,` and space. Any other character is drawn as `?`.
///
/// Each glyph is 5 rows of 3 columns; `#` marks a lit pixel. Characters advance by 4 columns (one
/// blank column between glyphs), times the scale.
public enum BitmapFont {
    /// Glyph width and height in font pixels, and the advance from one character to the next.
    public static let glyphWidth = 3, glyphHeight = 5, advance = 4

    static let glyphs: [Character: [String]] = [
        "A": [".#.", "#.#", "###", "#.#", "#.#"], "B": ["##.", "#.#", "##.", "#.#", "##."],
        "C": [".##", "#..", "#..", "#..", ".##"], "D": ["##.", "#.#", "#.#", "#.#", "##."],
        "E": ["###", "#..", "##.", "#..", "###"], "F": ["###", "#..", "##.", "#..", "#.."],
        "G": [".##", "#..", "#.#", "#.#", ".##"], "H": ["#.#", "#.#", "###", "#.#", "#.#"],
        "I": ["###", ".#.", ".#.", ".#.", "###"], "J": ["..#", "..#", "..#", "#.#", ".#."],
        "K": ["#.#", "#.#", "##.", "#.#", "#.#"], "L": ["#..", "#..", "#..", "#..", "###"],
        "M": ["#.#", "###", "###", "#.#", "#.#"], "N": ["##.", "#.#", "#.#", "#.#", "#.#"],
        "O": [".#.", "#.#", "#.#", "#.#", ".#."], "P": ["##.", "#.#", "##.", "#..", "#.."],
        "Q": [".#.", "#.#", "#.#", "##.", ".##"], "R": ["##.", "#.#", "##.", "#.#", "#.#"],
        "S": [".##", "#..", ".#.", "..#", "##."], "T": ["###", ".#.", ".#.", ".#.", ".#."],
        "U": ["#.#", "#.#", "#.#", "#.#", "###"], "V": ["#.#", "#.#", "#.#", "#.#", ".#."],
        "W": ["#.#", "#.#", "###", "###", "#.#"], "X": ["#.#", "#.#", ".#.", "#.#", "#.#"],
        "Y": ["#.#", "#.#", ".#.", ".#.", ".#."], "Z": ["###", "..#", ".#.", "#..", "###"],
        "0": ["###", "#.#", "#.#", "#.#", "###"], "1": [".#.", "##.", ".#.", ".#.", "###"],
        "2": ["##.", "..#", ".#.", "#..", "###"], "3": ["##.", "..#", ".#.", "..#", "##."],
        "4": ["#.#", "#.#", "###", "..#", "..#"], "5": ["###", "#..", "##.", "..#", "##."],
        "6": [".##", "#..", "###", "#.#", "###"], "7": ["###", "..#", ".#.", ".#.", ".#."],
        "8": ["###", "#.#", "###", "#.#", "###"], "9": ["###", "#.#", "###", "..#", "##."],
        ".": ["...", "...", "...", "...", ".#."], "-": ["...", "...", "###", "...", "..."],
        "+": ["...", ".#.", "###", ".#.", "..."], ":": ["...", ".#.", "...", ".#.", "..."],
        "/": ["..#", "..#", ".#.", "#..", "#.."], "%": ["#.#", "..#", ".#.", "#..", "#.#"],
        "=": ["...", "###", "...", "###", "..."], "(": ["..#", ".#.", ".#.", ".#.", "..#"],
        ")": ["#..", ".#.", ".#.", ".#.", "#.."], ",": ["...", "...", "...", ".#.", "#.."],
        " ": ["...", "...", "...", "...", "..."], "?": ["##.", "..#", ".#.", "...", ".#."],
    ]

    /// The glyph drawn for `character`: 5 rows of 3 flags, true where the pixel is lit.
    public static func glyph(_ character: Character) -> [[Bool]] {
        let rows = glyphs[Character(character.uppercased())] ?? glyphs["?"]!
        return rows.map { $0.map { $0 == "#" } }
    }

    /// The width in image pixels of `text` drawn at `scale` (no trailing blank column).
    public static func width(of text: String, scale: Int = 1) -> Int {
        text.isEmpty ? 0 : (text.count * advance - 1) * scale
    }
}

extension RasterImage {
    /// Draws `text` with the built-in font, its top-left corner at (x, y), each font pixel a
    /// `scale`×`scale` square; clipped to the image.
    public mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, _ color: RasterColor) {
        for (index, character) in text.enumerated() {
            let left = x + index * BitmapFont.advance * scale
            for (row, flags) in BitmapFont.glyph(character).enumerated() {
                for (column, lit) in flags.enumerated() where lit {
                    fillRectangle(x: left + column * scale, y: y + row * scale, width: scale, height: scale, color)
                }
            }
        }
    }
}

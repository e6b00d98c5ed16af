import MCPWatchCore
import Testing

@Suite struct UnifiedDiffTests {
    private let text = Array((1...20).map { "line \($0)\n" }.joined().utf8)

    private func offset(ofLine n: Int) -> Int { (1..<n).reduce(0) { $0 + "line \($1)\n".utf8.count } }

    @Test func showsEachChangeWithThreeLinesAround() {
        let edits = [
            TextEdit(offset(ofLine: 2)..<offset(ofLine: 2) + 6, "LINE 2"),
            TextEdit(offset(ofLine: 5)..<offset(ofLine: 5), "new\n"),
            TextEdit(offset(ofLine: 16)..<offset(ofLine: 17), ""),
        ]
        #expect(UnifiedDiff.render(text, edits: edits, oldLabel: "a.json", newLabel: "b.json") == """
            --- a.json
            +++ b.json
            @@ -1,8 +1,9 @@
             line 1
            -line 2
            +LINE 2
             line 3
             line 4
            -line 5
            +new
            +line 5
             line 6
             line 7
             line 8
            @@ -13,7 +14,6 @@
             line 13
             line 14
             line 15
            -line 16
             line 17
             line 18
             line 19

            """)
    }

    @Test func changesOnAdjacentLinesShowTheirOldLinesThenTheirNewOnes() {
        let edits = [TextEdit(offset(ofLine: 2)..<offset(ofLine: 2) + 4, "LINE"), TextEdit(offset(ofLine: 3)..<offset(ofLine: 3) + 4, "LINE")]
        #expect(UnifiedDiff.render(text, edits: edits, oldLabel: "a", newLabel: "b", context: 1) == """
            --- a
            +++ b
            @@ -1,4 +1,4 @@
             line 1
            -line 2
            -line 3
            +LINE 2
            +LINE 3
             line 4

            """)
    }

    @Test func nothingToShowWhenTheEditsChangeNothing() {
        #expect(UnifiedDiff.render(text, edits: [], oldLabel: "a", newLabel: "b") == "")
        #expect(UnifiedDiff.render(text, edits: [TextEdit(0..<4, "line")], oldLabel: "a", newLabel: "b") == "")
    }

    @Test func saysWhenTheLastLineHasNoNewline() {
        let edits = [TextEdit(4..<5, "X")]
        #expect(UnifiedDiff.render(Array("a\nb\nc".utf8), edits: edits, oldLabel: "a", newLabel: "b") == """
            --- a
            +++ b
            @@ -1,3 +1,3 @@
             a
             b
            -c
            \\ No newline at end of file
            +X
            \\ No newline at end of file

            """)
    }
}

/// Client configuration files shaped as each client writes them (from the clients' documentation and files they
/// wrote), for the wrap and unwrap tests.
enum ClientConfigFixtures {
    /// Claude Desktop's `claude_desktop_config.json`: servers laid out in three ways, an entry without `args`, an empty
    /// `args`, a setting beside `mcpServers`.
    static let claudeDesktop = """
        {
          "mcpServers": {
            "filesystem": {
              "command": "npx",
              "args": [
                "-y",
                "@modelcontextprotocol/server-filesystem",
                "/Users/me/Desktop"
              ]
            },
            "time": {
              "command": "uvx",
              "args": ["mcp-server-time", "--local-timezone=Europe/Paris"]
            },
            "sqlite": {
              "command": "/usr/local/bin/mcp-server-sqlite",
              "env": { "DB_PATH": "/tmp/test.db" }
            },
            "quiet": { "command": "quiet-server", "args": [] }
          },
          "globalShortcut": "Ctrl+Space"
        }

        """

    /// Claude Code's `~/.claude.json`: user-scope servers (stdio, HTTP, SSE), a project's local-scope servers, and the
    /// rest of what Claude Code keeps there.
    static let claudeCode = """
        {
          "numStartups": 42,
          "installMethod": "native",
          "autoUpdates": false,
          "tipsHistory": {
            "memory-command": 3
          },
          "mcpServers": {
            "sentry": {
              "type": "http",
              "url": "https://mcp.sentry.dev/mcp"
            },
            "asana": {
              "type": "sse",
              "url": "https://mcp.asana.com/sse"
            },
            "fetch": {
              "type": "stdio",
              "command": "uvx",
              "args": [
                "mcp-server-fetch"
              ],
              "env": {}
            }
          },
          "projects": {
            "/home/me/src/app": {
              "allowedTools": [],
              "history": [
                {
                  "display": "fix the \\"login\\" test",
                  "pastedContents": {}
                }
              ],
              "mcpServers": {
                "db": {
                  "type": "stdio",
                  "command": "npx",
                  "args": [
                    "-y",
                    "@bytebase/dbhub",
                    "--dsn",
                    "postgres://localhost/app"
                  ],
                  "env": {
                    "PGPASSWORD": "secret"
                  }
                }
              },
              "hasTrustDialogAccepted": true
            },
            "/home/me/src/empty": {
              "allowedTools": [],
              "mcpServers": {}
            }
          }
        }
        """

    /// Cursor's `~/.cursor/mcp.json`: a stdio server and a remote one with headers.
    static let cursor = """
        {
          "mcpServers": {
            "playwright": {
              "command": "npx",
              "args": ["-y", "@playwright/mcp@latest"]
            },
            "context7": {
              "url": "https://mcp.context7.com/mcp",
              "headers": {
                "CONTEXT7_API_KEY": "${env:CONTEXT7_API_KEY}"
              }
            },
            "linear": {
              "url": "https://mcp.linear.app/sse"
            }
          }
        }

        """

    /// VS Code's `.vscode/mcp.json`: JSONC with comments, trailing commas, inputs, a tab-indented entry and CRLF-free
    /// variables.
    static let vscode = """
        {
          // Inputs are asked for the first time a server starts.
          "inputs": [
            {
              "type": "promptString",
              "id": "perplexity-key",
              "description": "Perplexity API Key",
              "password": true,
            },
          ],
          "servers": {
            /* The time server, with its own time zone. */
            "time": {
              "type": "stdio",
              "command": "uvx",
              "args": ["mcp-server-time", "--local-timezone=${env:TZ}"], // after the args
            },
            "github": {
              "type": "http",
              "url": "https://api.githubcopilot.com/mcp/",
            },
        \t"perplexity": {
        \t\t"type": "stdio",
        \t\t"command": "npx",
        \t\t"args": ["-y", "server-perplexity-ask"],
        \t\t"env": {"PERPLEXITY_API_KEY": "${input:perplexity-key}"},
        \t\t"envFile": "${workspaceFolder}/.env"
        \t},
          },
        }

        """
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Server.Tests.Support;

/// <summary>Keeps every log line a test server writes, at every level, with the exception's text
/// appended when there is one and the scopes' values as <c>[Name=value]</c>, so a test can assert
/// what an operator would read.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider? scopes;

    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>The lines logged at Error or Critical, also in <see cref="Lines"/>.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Waits, up to 10 s by a monotonic clock (this VM's wall clock can jump), for a line containing <paramref name="text"/>: lines written after
    /// an answer has gone out (the request log line) may come a moment after the client has it.</summary>
    public async Task WaitForLineAsync(string text)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!Lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"no log line containing \"{text}\"");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    private string ScopeText()
    {
        var text = new System.Text.StringBuilder();
        scopes?.ForEachScope(
            (scope, builder) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    foreach (var (name, value) in values)
                    {
                        builder.Append($" [{name}={value}]");
                    }
                }
            },
            text);
        return text.ToString();
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = (exception is null ? formatter(state, exception) : $"{formatter(state, exception)} {exception}") + owner.ScopeText();
            owner.Lines.Enqueue(line);
            if (logLevel >= LogLevel.Error)
            {
                owner.Errors.Enqueue(line);
            }
        }
    }
}

using AgentMessage.Core.Messaging;
using AgentMessage.Core.Organizations;
using Microsoft.Extensions.Logging;

namespace AgentMessage.Core.Compliance;

/// <summary>
/// Answers an inbound keyword for the organization that owns the receiving number: STOP (and
/// synonyms) with the opt-out confirmation, START/UNSTOP with the opt-in confirmation, HELP/INFO
/// with the help text. The answer is an ordinary outbound message from the receiving number to the
/// person, tagged <c>keyword-stop</c>, <c>keyword-start</c> or <c>keyword-help</c>, sent through
/// <see cref="MessageService.SendKeywordReplyAsync"/>, which skips the consent rule (the STOP
/// confirmation is the one message allowed after STOP) but not the organization's send rate limit.
/// At most one reply per person, keyword action and <see cref="Window"/> (<see cref="IKeywordReplyLimiter"/>).
/// A failure is logged (without numbers or text) and swallowed: the inbound message is already
/// stored, and the carrier must not be told otherwise.
/// </summary>
public sealed partial class KeywordReplier(
    IOrganizationStore organizations,
    IKeywordReplyLimiter limiter,
    MessageService messages,
    ILogger<KeywordReplier> logger)
{
    /// <summary>How long after a keyword reply the same person's same keyword gets none.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>The tag of each kind of keyword reply.</summary>
    public const string StopTag = "keyword-stop";

    /// <inheritdoc cref="StopTag"/>
    public const string StartTag = "keyword-start";

    /// <inheritdoc cref="StopTag"/>
    public const string HelpTag = "keyword-help";

    /// <summary>The default texts, naming the organization.</summary>
    public static string DefaultStopText(string organizationName) =>
        $"{organizationName}: you are unsubscribed and will receive no more messages. Reply START to resubscribe.";

    /// <inheritdoc cref="DefaultStopText"/>
    public static string DefaultStartText(string organizationName) =>
        $"{organizationName}: you are subscribed again. Reply STOP to unsubscribe.";

    /// <inheritdoc cref="DefaultStopText"/>
    public static string DefaultHelpText(string organizationName) =>
        $"{organizationName}: reply STOP to unsubscribe. Msg&data rates may apply.";

    /// <summary>The text an organization answers <paramref name="action"/> with; empty for no reply.</summary>
    public static string TextFor(Organization organization, KeywordAction action)
    {
        var texts = organization.KeywordReplies;
        return action switch
        {
            KeywordAction.OptOut => texts?.StopText ?? DefaultStopText(organization.Name),
            KeywordAction.OptIn => texts?.StartText ?? DefaultStartText(organization.Name),
            KeywordAction.Help => texts?.HelpText ?? DefaultHelpText(organization.Name),
            _ => string.Empty,
        };
    }

    /// <summary>Sends the reply to <paramref name="person"/> from <paramref name="ourNumber"/>, if one is
    /// due; never throws (except for cancellation).</summary>
    public async Task ReplyAsync(string organizationId, string ourNumber, string person, KeywordAction action, CancellationToken cancellationToken)
    {
        if (action == KeywordAction.None)
        {
            return;
        }

        try
        {
            if (await organizations.GetAsync(organizationId, cancellationToken) is not { } organization)
            {
                return;
            }

            var text = TextFor(organization, action);
            if (text.Length == 0)
            {
                return;
            }

            if (!await limiter.TryTakeAsync(organizationId, person, action, Window, cancellationToken))
            {
                LogLimited(logger, action);
                return;
            }

            var tag = action switch
            {
                KeywordAction.OptOut => StopTag,
                KeywordAction.OptIn => StartTag,
                _ => HelpTag,
            };
            if (!await messages.SendKeywordReplyAsync(organization, ourNumber, person, text, tag, cancellationToken))
            {
                LogRateLimited(logger, action);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, action, exception.GetType().Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Keyword reply for {Action} not sent: one was sent to this person within the window")]
    private static partial void LogLimited(ILogger logger, KeywordAction action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keyword reply for {Action} not sent: the organization's send rate limit is reached")]
    private static partial void LogRateLimited(ILogger logger, KeywordAction action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Keyword reply for {Action} failed ({Error}); the inbound message is stored")]
    private static partial void LogFailed(ILogger logger, KeywordAction action, string error);
}

namespace AgentMessage.Client.Webhooks;

/// <summary>A webhook request that is not proven to come from AgentMessage: refuse it (answer 400 or 401, and do not act on it).</summary>
public sealed class WebhookVerificationException : Exception
{
    /// <summary>A refusal with a message naming what was wrong.</summary>
    /// <param name="message">What was wrong (a missing header, a stale timestamp, no matching signature).</param>
    public WebhookVerificationException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal with no message.</summary>
    public WebhookVerificationException()
    {
    }

    /// <summary>A refusal caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying failure.</param>
    public WebhookVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

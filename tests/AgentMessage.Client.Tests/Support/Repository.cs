namespace AgentMessage.Client.Tests.Support;

/// <summary>The repository this test runs from (the directory holding AgentMessage.sln).</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AgentMessage.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AgentMessage.sln above {AppContext.BaseDirectory}.");
    }
}
